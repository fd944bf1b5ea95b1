import { describe, expect, it } from 'vitest'
import { cutUtf8, MAX_STORED_BODY_BYTES } from './cut-utf8.js'

describe('cutUtf8', () => {
  it('returns text within the limit as it is', () => {
    expect(cutUtf8('héllo', 6)).toBe('héllo')
    const exact = 'x'.repeat(MAX_STORED_BODY_BYTES)
    expect(cutUtf8(exact)).toBe(exact)
  })

  it('cuts at the byte limit, never inside a character', () => {
    expect(cutUtf8('x'.repeat(MAX_STORED_BODY_BYTES + 1))).toBe('x'.repeat(MAX_STORED_BODY_BYTES))
    // é is 2 bytes: 5 bytes keep "ab" and one é, not half of the second.
    expect(cutUtf8('abééé', 5)).toBe('abé')
    expect(cutUtf8('a😀b', 4)).toBe('a')
    expect(cutUtf8('a😀b', 5)).toBe('a😀')
  })

  it('drops a lone surrogate at the cut rather than keeping a replacement character', () => {
    const s = 'x'.repeat(9) + '\ud83d' + 'yyyy'
    expect(cutUtf8(s, 10)).toBe('x'.repeat(9))
  })
})
