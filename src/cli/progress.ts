/**
 * A progress line for a terminal: `[########............] 40/100 (3 failed)`. Pure: the caller
 * writes it (with `\r` on a TTY).
 */
export function progressLine(done: number, total: number, failed: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, Math.max(0, done / total))
  const filled = Math.round(ratio * width)
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`
  return `${bar} ${Math.min(done, total)}/${total}${failed > 0 ? ` (${failed} failed)` : ''}`
}
