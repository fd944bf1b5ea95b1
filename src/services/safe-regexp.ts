import { setFlagsFromString } from 'node:v8'

/**
 * Regular expressions from tenants (the `pattern`s of event types' JSON Schemas) run on the one
 * event loop that serves everybody, so one pattern that backtracks exponentially (`^(a+)+$`
 * against 34 `a`s and a `b` held it for 85 s) would stall every tenant. V8 can hand such a match
 * to its linear-time engine once it has backtracked too long; that engine takes most patterns,
 * but not those needing the `u` flag, backreferences, lookarounds or long counted repeats.
 *
 * So tenant patterns are compiled without `u`, where the fallback protects them, and a pattern
 * the linear engine cannot take is refused when it is also shaped to backtrack badly: a repeat of
 * a group that itself repeats. Unicode property escapes (`\p{...}`), which mean something else
 * without `u`, are refused rather than silently changed.
 */

let enabled = false

/** Turns V8's fallback on for the whole process (V8 flags are process-wide); idempotent. */
export function enableBacktrackFallback(): void {
  if (enabled) return
  enabled = true
  // The second flag lets `linearTimeCapable` ask, with the `l` flag, whether the engine takes a pattern.
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')
  setFlagsFromString('--enable-experimental-regexp-engine')
}

/** Whether V8's linear-time engine can run this pattern, and so the fallback can rescue it. */
function linearTimeCapable(pattern: string): boolean {
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` is V8's linear-engine flag, enabled above
    new RegExp(pattern, 'l')
    return true
  } catch {
    return false
  }
}

/**
 * Whether some group that repeats contains a repeat itself (`(a+)+`, `(\w*\s?){2,}`): the shape
 * behind exponential backtracking. Reads escapes and character classes just enough to skip them.
 */
export function hasNestedRepeat(pattern: string): boolean {
  // Per open group: whether something inside it repeats.
  const groups: boolean[] = []
  const markEnclosing = (): void => {
    if (groups.length > 0) groups[groups.length - 1] = true
  }
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === '(') {
      groups.push(false)
      i++
      continue
    }
    let end = i + 1
    let repeatsInside = false
    if (c === '\\') end = i + 2
    else if (c === '[') {
      let j = i + 1
      if (pattern[j] === '^') j++
      if (pattern[j] === ']') j++
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1
      end = j + 1
    } else if (c === ')') repeatsInside = groups.pop() ?? false
    const rep = repeatAt(pattern, end)
    if (rep?.many && repeatsInside) return true
    if (repeatsInside || rep?.many) markEnclosing()
    // A lazy suffix (`+?`) belongs to the same repeat.
    i = rep ? end + rep.len + (pattern[end + rep.len] === '?' ? 1 : 0) : end
  }
  return false
}

/** The quantifier at `j`, if any: its length, and whether it allows more than one match. */
function repeatAt(pattern: string, j: number): { len: number; many: boolean } | null {
  const c = pattern[j]
  if (c === '*' || c === '+') return { len: 1, many: true }
  if (c === '?') return { len: 1, many: false }
  if (c !== '{') return null
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(j))
  if (!m) return null
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3])
  return { len: m[0].length, many: max > 1 }
}

/**
 * Ajv's `code.regExp`: compiles a schema pattern as described above, or throws (Ajv then refuses
 * the schema, which the API answers with a 422 naming `/schema`).
 */
export function safeRegExp(pattern: string, _flags: string): RegExp {
  enableBacktrackFallback()
  if (/\\[pP]\{|\\u\{/.test(pattern)) {
    throw new Error(`pattern "${pattern}" uses a Unicode escape (\\p{...} or \\u{...}), which is not supported`)
  }
  if (!linearTimeCapable(pattern) && hasNestedRepeat(pattern)) {
    throw new Error(`pattern "${pattern}" repeats a group that repeats inside, which can take exponential time; simplify it`)
  }
  return new RegExp(pattern)
}
// Ajv wants the engine's source for standalone code; this engine is never used that way.
safeRegExp.code = 'RegExp'
