import { randomFillSync } from 'node:crypto'

/**
 * Prefixed, sortable ids: `evt_01JD5...` = prefix + 26 characters of Crockford base32 laid out as a
 * ULID (https://github.com/ulid/spec): 48 bits of milliseconds since the epoch, then 80 random bits.
 *
 * Ids are monotonic within the process: one made later sorts strictly after, even in the same
 * millisecond or when the clock steps back (the random part is then incremented, as the ULID spec's
 * "monotonicity" section describes). Cursor pagination relies on string order = creation order.
 */
export type IdPrefix = 'evt' | 'ep' | 'dlv' | 'att' | 'src' | 'req' | 'rte' | 'key' | 'tn' | 'ps'

// Crockford's alphabet without I, L, O, U; ascending in ASCII, so string order is numeric order.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const TIME_LEN = 10
const RANDOM_LEN = 16
const MAX_TIME = 2 ** 48 - 1

/** A source of random bytes; crypto by default, replaceable in tests. */
export type FillRandom = (buffer: Uint8Array) => void

/**
 * A generator with its own monotonic state. The module's `newId` is one of these; tests make their
 * own so a fixed `now` in one test cannot hold back the ids of another.
 */
export function createIdGenerator(fillRandom: FillRandom = randomFillSync): (prefix: IdPrefix, now?: number) => string {
  // Random bytes are drawn 4 KiB at a time: one syscall per 256 ids instead of one per id.
  const pool = new Uint8Array(RANDOM_LEN * 256)
  let poolOffset = pool.length
  const random = new Uint8Array(RANDOM_LEN) // one base32 digit (0-31) per byte
  let lastTime = -1
  let timeText = ''

  function freshRandom(): void {
    if (poolOffset + RANDOM_LEN > pool.length) {
      fillRandom(pool)
      poolOffset = 0
    }
    // 256 is a multiple of 32, so `byte & 31` is uniform: 16 digits x 5 bits = 80 random bits.
    for (let i = 0; i < RANDOM_LEN; i++) random[i] = (pool[poolOffset + i] ?? 0) & 31
    poolOffset += RANDOM_LEN
  }

  /** Adds one to the 80-bit random part; false when it wraps around. */
  function increment(): boolean {
    for (let i = RANDOM_LEN - 1; i >= 0; i--) {
      const digit = random[i] ?? 0
      if (digit < 31) {
        random[i] = digit + 1
        return true
      }
      random[i] = 0
    }
    return false
  }

  function setTime(time: number): void {
    lastTime = time
    let t = time
    let text = ''
    for (let i = 0; i < TIME_LEN; i++) {
      text = ALPHABET[t % 32] + text
      t = Math.floor(t / 32)
    }
    timeText = text
  }

  return function newId(prefix: IdPrefix, now: number = Date.now()): string {
    if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) throw new RangeError(`id time out of range: ${now}`)
    if (now > lastTime) {
      setTime(now)
      freshRandom()
    } else if (!increment()) {
      // 2^80 ids in one millisecond cannot happen; borrowing the next millisecond keeps order anyway.
      if (lastTime >= MAX_TIME) throw new RangeError('id space exhausted')
      setTime(lastTime + 1)
      freshRandom()
    }
    let text = prefix + '_' + timeText
    for (let i = 0; i < RANDOM_LEN; i++) text += ALPHABET[random[i] ?? 0]
    return text
  }
}

/** A new id, e.g. `newId('evt')`. `now` (epoch ms) defaults to the clock. */
export const newId = createIdGenerator()

// The first character carries only 3 bits of the 48-bit time, so it is 0-7.
const BODY = '[0-7][0-9A-HJKMNP-TV-Z]{25}'
const patterns = new Map<string, RegExp>()

/** True when `s` has the shape of an id `newId(prefix)` could make. */
export function isId(prefix: IdPrefix, s: string): boolean {
  let re = patterns.get(prefix)
  if (!re) {
    re = new RegExp(`^${prefix}_${BODY}$`)
    patterns.set(prefix, re)
  }
  return re.test(s)
}

/** The creation time (epoch ms) encoded in an id, or null if `s` is not an id. */
export function idTime(s: string): number | null {
  const match = /^[a-z]+_([0-7][0-9A-HJKMNP-TV-Z]{9})[0-9A-HJKMNP-TV-Z]{16}$/.exec(s)
  if (!match?.[1]) return null
  let t = 0
  for (const ch of match[1]) t = t * 32 + ALPHABET.indexOf(ch)
  return t
}

/**
 * The smallest id of this prefix whose time part is `ms`: every id made at `ms` or later sorts at
 * or after it, so `id >= idFloor(prefix, t)` lets an index on ids start its scan at a time.
 */
export function idFloor(prefix: IdPrefix, ms: number): string {
  let t = Math.min(Math.max(0, Math.floor(ms)), MAX_TIME)
  let text = ''
  for (let i = 0; i < TIME_LEN; i++) {
    text = ALPHABET[t % 32] + text
    t = Math.floor(t / 32)
  }
  return `${prefix}_${text}${'0'.repeat(RANDOM_LEN)}`
}
