/**
 * Max-min fair division of `limit` slots among claimants that each want some: nobody gets more
 * than they want, and what one leaves unused goes to the others in equal parts. The endpoint
 * concurrency limit shared by several workers is split this way, so a worker with a little work
 * for an endpoint is not starved by one with a lot. Shares are whole slots; a remainder that cannot
 * be split evenly goes to the earliest claimants.
 */
export function fairShares(limit: number, wants: readonly number[]): number[] {
  const shares = wants.map(() => 0)
  let left = Math.max(0, Math.floor(limit))
  // Claimants still wanting more, served in rounds of an equal part each until slots or wants run out.
  let open = wants.map((_, i) => i).filter((i) => wants[i]! > 0)
  while (left > 0 && open.length > 0) {
    const part = Math.max(1, Math.floor(left / open.length))
    const next: number[] = []
    for (const i of open) {
      if (left === 0) break
      const give = Math.min(part, wants[i]! - shares[i]!, left)
      shares[i]! += give
      left -= give
      if (shares[i]! < wants[i]!) next.push(i)
    }
    open = next
  }
  return shares
}
