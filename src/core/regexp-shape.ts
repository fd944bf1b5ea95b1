/**
 * What a regular expression's source says about how a backtracking engine may run it, read
 * without running it. Pure: services/safe-regexp.ts decides with it which tenant patterns to take.
 */
export interface RegexpShape {
  /** A repeated group that repeats inside (`(a+)+`, `(\w*\s?){2,}`): exponential backtracking. */
  nestedRepeat: boolean
  /** A repeated group with alternatives inside (`(a|a)*`, `((x|y)z)+`): exponential when they overlap. */
  repeatedAlternation: boolean
  /** `\1`..`\9` or `\k<name>`. */
  backreference: boolean
  /** `(?=`, `(?!`, `(?<=` or `(?<!`. */
  lookaround: boolean
}

/**
 * Reads a pattern (as written for `new RegExp` without the `u` flag) one atom at a time: escapes
 * and character classes just enough to skip them, groups to know what each one holds and whether
 * it repeats. A pattern that is not a valid regular expression gets some answer; compiling it
 * refuses it anyway.
 */
export function regexpShape(pattern: string): RegexpShape {
  const shape: RegexpShape = { nestedRepeat: false, repeatedAlternation: false, backreference: false, lookaround: false }
  // Per open group: whether something inside it repeats, and whether it holds alternatives.
  const groups: Array<{ repeats: boolean; alternates: boolean }> = []
  const enclosing = () => groups[groups.length - 1]
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === '(') {
      groups.push({ repeats: false, alternates: false })
      const prefix = groupPrefix(pattern, i)
      if (prefix === '(?=' || prefix === '(?!' || prefix === '(?<=' || prefix === '(?<!') shape.lookaround = true
      i += prefix.length
      continue
    }
    if (c === '|') {
      const g = enclosing()
      if (g) g.alternates = true
      i++
      continue
    }
    let end = i + 1
    let inner = { repeats: false, alternates: false }
    if (c === '\\') {
      const next = pattern[i + 1]
      if ((next !== undefined && next >= '1' && next <= '9') || (next === 'k' && pattern[i + 2] === '<')) shape.backreference = true
      end = i + 2
    } else if (c === '[') {
      let j = i + 1
      if (pattern[j] === '^') j++
      if (pattern[j] === ']') j++
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1
      end = j + 1
    } else if (c === ')') inner = groups.pop() ?? inner
    const rep = repeatAt(pattern, end)
    if (rep?.many && inner.repeats) shape.nestedRepeat = true
    if (rep?.many && inner.alternates) shape.repeatedAlternation = true
    const g = enclosing()
    if (g) {
      if (inner.repeats || rep?.many) g.repeats = true
      // Alternatives anywhere inside a group are inside every group around it.
      if (inner.alternates) g.alternates = true
    }
    // A lazy suffix (`+?`) belongs to the same repeat.
    i = rep ? end + rep.len + (pattern[end + rep.len] === '?' ? 1 : 0) : end
  }
  return shape
}

// Sticky: they match exactly at lastIndex, without copying the rest of the pattern.
const GROUP_PREFIX = /\(\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/y
const COUNTED = /\{(\d+)(,(\d*))?\}/y

/** The opening of the group at `i`: `(`, or `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`. */
function groupPrefix(pattern: string, i: number): string {
  if (pattern[i + 1] !== '?') return '('
  GROUP_PREFIX.lastIndex = i
  return GROUP_PREFIX.exec(pattern)?.[0] ?? '('
}

/** The quantifier at `j`, if any: its length, and whether it allows more than one match. */
function repeatAt(pattern: string, j: number): { len: number; many: boolean } | null {
  const c = pattern[j]
  if (c === '*' || c === '+') return { len: 1, many: true }
  if (c === '?') return { len: 1, many: false }
  if (c !== '{') return null
  COUNTED.lastIndex = j
  const m = COUNTED.exec(pattern)
  if (!m) return null
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3])
  return { len: m[0].length, many: max > 1 }
}
