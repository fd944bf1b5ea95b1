/**
 * How deep request JSON may nest. JSON.parse takes any depth, but the recursive work after it
 * (serializing a payload, validating it, rendering a template) overflows the stack a few thousand
 * levels down, and a 10 KB body can nest that deep. No webhook payload needs more than this.
 */
export const MAX_JSON_DEPTH = 100

/**
 * Whether a parsed JSON value nests objects and arrays deeper than `max` levels (a scalar is
 * depth 0, `{}` or `[]` depth 1). Iterative, so the check itself cannot overflow the stack, and it
 * stops at the first branch too deep.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }]
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { v, depth } = item
    if (typeof v !== 'object' || v === null) continue
    if (depth + 1 > max) return true
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push({ v: c, depth: depth + 1 })
  }
  return false
}
