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
  if (typeof value !== 'object' || value === null) return false
  // Two parallel stacks (value, its depth) rather than an object per entry, and for..in rather
  // than Object.values: this runs on every JSON request body, and allocates nothing per scalar.
  const values: object[] = [value]
  const depths: number[] = [1]
  for (let v = values.pop(); v !== undefined; v = values.pop()) {
    const depth = depths.pop()!
    if (depth > max) return true
    if (Array.isArray(v)) {
      for (const c of v as unknown[]) {
        if (typeof c === 'object' && c !== null) {
          values.push(c)
          depths.push(depth + 1)
        }
      }
    } else {
      const o = v as Record<string, unknown>
      // JSON.parse makes plain objects: every enumerable key is its own.
      for (const k in o) {
        const c = o[k]
        if (typeof c === 'object' && c !== null) {
          values.push(c)
          depths.push(depth + 1)
        }
      }
    }
  }
  return false
}
