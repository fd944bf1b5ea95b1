import { describe, expect, it } from 'vitest'
import { MAX_KEY_CHARS, storableKey } from './idempotency-key.js'

const DIGEST = /^sha256:[A-Za-z0-9_-]{43}$/

describe('storableKey', () => {
  it('keeps ordinary keys as they are, up to the limit', () => {
    for (const key of ['evt_1NqK2', '7f9c1a2e-1d2b-4c3a-9e8f-0a1b2c3d4e5f', 'héllo 😀', 'k'.repeat(MAX_KEY_CHARS)]) expect(storableKey(key)).toBe(key)
  })

  it('replaces longer keys by a fixed-length digest, the same for the same key and different for others', () => {
    const long = 'x'.repeat(6000)
    expect(storableKey(long)).toMatch(DIGEST)
    expect(storableKey(long)).toBe(storableKey('x'.repeat(6000)))
    expect(storableKey(long)).not.toBe(storableKey('x'.repeat(6001)))
    expect(storableKey('k'.repeat(MAX_KEY_CHARS + 1))).toMatch(DIGEST)
  })

  it('digests keys with characters a dialect cannot keep: U+0000 and unpaired surrogates', () => {
    for (const key of ['k\u0000', '\u0000', 'a\uD800', 'a\uDFFF', '\uDC00b']) expect(storableKey(key)).toMatch(DIGEST)
    // Both would be written as a\uFFFD by the drivers; as digests they stay apart.
    expect(storableKey('a\uD800')).not.toBe(storableKey('a\uDFFF'))
    expect(storableKey('k\u0000')).not.toBe(storableKey('k'))
  })

  it('digests a key that looks like a digest, so no key sent as text can pose as the digest of another', () => {
    const digest = storableKey('x'.repeat(6000))
    expect(storableKey(digest)).toMatch(DIGEST)
    expect(storableKey(digest)).not.toBe(digest)
  })
})
