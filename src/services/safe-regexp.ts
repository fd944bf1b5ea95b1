import { setFlagsFromString } from 'node:v8'
import { regexpShape } from '../core/regexp-shape.js'

/**
 * Regular expressions from tenants (the `pattern`s of event types' JSON Schemas) run on the one
 * event loop that serves everybody, so one pattern that backtracks exponentially (`^(a+)+$`
 * against 34 `a`s and a `b` held it for 85 s) would stall every tenant. V8 can hand such a match
 * to its linear-time engine once it has backtracked too long; that engine takes most patterns,
 * but not those needing the `u` flag, backreferences, lookarounds or long counted repeats.
 *
 * So tenant patterns are compiled without `u`, where the fallback protects them, and a pattern
 * the linear engine cannot take gets no rescue: it is refused when it has a backreference or a
 * lookaround (`^(a|a)*\1$` and `^(\w|\d)*(?=$)b$` each held the loop for over 13 s on 29
 * characters), or a repeated group holding a repeat or alternatives (core/regexp-shape.ts). What
 * is left, such as `^.{1,100}$` (too long a count for the linear engine), backtracks within the
 * bounds of its counts. Unicode property escapes (`\p{...}`), which mean something else without
 * `u`, are refused rather than silently changed.
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

/** Why a pattern the fallback cannot rescue may backtrack without bound, or null when it cannot. */
function unrescuable(pattern: string): string | null {
  const shape = regexpShape(pattern)
  if (shape.backreference) return 'uses a backreference (\\1, \\k<name>)'
  if (shape.lookaround) return 'uses a lookaround ((?=, (?!, (?<=, (?<!)'
  if (shape.nestedRepeat) return 'repeats a group that repeats inside'
  if (shape.repeatedAlternation) return 'repeats a group of alternatives'
  return null
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
  const why = linearTimeCapable(pattern) ? null : unrescuable(pattern)
  if (why !== null) {
    throw new Error(`pattern "${pattern}" ${why}, which can take exponential time in a form the linear-time engine cannot run; simplify it`)
  }
  return new RegExp(pattern)
}
// Ajv wants the engine's source for standalone code; this engine is never used that way.
safeRegExp.code = 'RegExp'
