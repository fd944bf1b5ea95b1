import { describe, expect, it } from 'vitest'
import { createIdGenerator, idTime, isId, newId, type IdPrefix } from './ids.js'

const PREFIXES: IdPrefix[] = ['evt', 'ep', 'dlv', 'att', 'src', 'rte', 'key', 'tn']
const zeros = (b: Uint8Array): void => void b.fill(0)
const maxed = (b: Uint8Array): void => void b.fill(31)

describe('newId', () => {
  it.each(PREFIXES)('%s ids have the prefix and 26 Crockford base32 characters', (prefix) => {
    const id = newId(prefix)
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`))
    expect(isId(prefix, id)).toBe(true)
  })

  it.each([
    [0, '0000000000'],
    [1, '0000000001'],
    [32, '0000000010'],
    [1469918176385, '01ARYZ6S41'], // the ULID spec's example time
    [2 ** 48 - 1, '7ZZZZZZZZZ'],
  ])('encodes time %d as %s', (now, text) => {
    const id = createIdGenerator(zeros)('evt', now)
    expect(id).toBe(`evt_${text}0000000000000000`)
    expect(idTime(id)).toBe(now)
  })

  it.each([[-1], [1.5], [2 ** 48], [Number.NaN]])('refuses time %d', (now) => {
    expect(() => createIdGenerator()('evt', now)).toThrow(RangeError)
  })

  it('increments the random part within the same millisecond', () => {
    const gen = createIdGenerator(zeros)
    expect(gen('evt', 1000)).toBe('evt_00000000Z80000000000000000')
    expect(gen('evt', 1000)).toBe('evt_00000000Z80000000000000001')
    expect(gen('ep', 1000)).toBe('ep_00000000Z80000000000000002')
  })

  it('keeps order when the clock steps back', () => {
    const gen = createIdGenerator()
    const a = gen('evt', 5000)
    const b = gen('evt', 4000)
    expect(b > a).toBe(true)
    expect(idTime(b)).toBe(5000)
  })

  it('borrows the next millisecond when the random part would wrap', () => {
    const gen = createIdGenerator(maxed)
    const a = gen('evt', 1000)
    expect(a).toBe('evt_00000000Z8ZZZZZZZZZZZZZZZZ')
    const b = gen('evt', 1000)
    expect(idTime(b)).toBe(1001)
    expect(b > a).toBe(true)
  })

  it('draws random bytes from a pool, refilled once per 256 new milliseconds', () => {
    let fills = 0
    const gen = createIdGenerator((b) => {
      fills++
      b.fill(fills)
    })
    for (let t = 1; t <= 256; t++) gen('evt', t)
    expect(fills).toBe(1)
    expect(gen('evt', 257).slice(-16)).toBe('2222222222222222')
    expect(fills).toBe(2)
  })

  it('is strictly increasing over many ids made quickly', () => {
    const gen = createIdGenerator()
    const ids = Array.from({ length: 50_000 }, () => gen('dlv'))
    const outOfOrder = ids.filter((id, i) => i > 0 && id <= ids[i - 1]!)
    expect(outOfOrder).toEqual([])
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('sorts by creation time across milliseconds', () => {
    const gen = createIdGenerator()
    const ids = [1, 2, 31, 32, 33, 1023, 1024, 1_700_000_000_000].map((t) => gen('evt', t))
    expect([...ids].sort()).toEqual(ids)
  })

  it('spreads 80 random bits over the 16 random characters', () => {
    const gen = createIdGenerator()
    const seen = new Set<string>()
    for (let t = 1; t <= 2000; t++) for (const ch of gen('evt', t).slice(-16)) seen.add(ch)
    expect(seen.size).toBe(32)
  })

  it('makes at least 20k ids a second', () => {
    const gen = createIdGenerator()
    const start = performance.now()
    for (let i = 0; i < 100_000; i++) gen('evt')
    expect(performance.now() - start).toBeLessThan(2500)
  })
})

describe('isId', () => {
  const good = 'evt_01ARYZ6S41TSV4RRFFQ69G5FAV'
  it.each([
    ['evt', good, true],
    ['ep', good, false],
    ['evt', 'evt_01arYZ6S41TSV4RRFFQ69G5FAV', false],
    ['evt', 'evt_01ARYZ6S41TSV4RRFFQ69G5FA', false],
    ['evt', 'evt_01ARYZ6S41TSV4RRFFQ69G5FAVV', false],
    ['evt', 'evt_81ARYZ6S41TSV4RRFFQ69G5FAV', false],
    ['evt', 'evt_01ARYZ6S41TSV4RRFFQ69G5FAI', false],
    ['evt', 'evt_01ARYZ6S41TSV4RRFFQ69G5FAU', false],
    ['evt', 'evt01ARYZ6S41TSV4RRFFQ69G5FAV', false],
    ['evt', ' evt_01ARYZ6S41TSV4RRFFQ69G5FAV', false],
    ['evt', 'evt_01ARYZ6S41TSV4RRFFQ69G5FAV\n', false],
    ['evt', '', false],
    ['tn', 'tn_01ARYZ6S41TSV4RRFFQ69G5FAV', true],
  ] as const)('isId(%s, %j) = %s', (prefix, s, expected) => {
    expect(isId(prefix, s)).toBe(expected)
  })
})

describe('idTime', () => {
  it.each([['nope'], ['evt_81ARYZ6S41TSV4RRFFQ69G5FAV'], ['']])('%j -> null', (s) => {
    expect(idTime(s)).toBeNull()
  })
})
