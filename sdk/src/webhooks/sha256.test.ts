import { createHash, createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hmacSha256, sha256 } from './sha256.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('sha256 and hmacSha256 (plain JavaScript) against node:crypto', () => {
  it('hashes the FIPS 180-4 examples', () => {
    expect(hex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  it('agrees on every length around the block and padding boundaries, and on large bodies', () => {
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4095, 65_536, 1_048_577]
    for (const n of lengths) {
      const data = randomBytes(n)
      expect(hex(sha256(data)), `length ${n}`).toBe(createHash('sha256').update(data).digest('hex'))
    }
  })

  it('HMAC agrees for keys shorter than, equal to and longer than a block', () => {
    for (const keyLength of [0, 1, 24, 32, 63, 64, 65, 200]) {
      for (const n of [0, 1, 55, 56, 64, 300]) {
        const key = randomBytes(keyLength)
        const data = randomBytes(n)
        expect(hex(hmacSha256(key, data)), `key ${keyLength}, data ${n}`).toBe(createHmac('sha256', key).update(data).digest('hex'))
      }
    }
  })
})
