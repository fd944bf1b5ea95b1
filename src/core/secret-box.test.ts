import { describe, expect, it } from 'vitest'
import { createSecretBox, parseEncryptionKey } from './secret-box.js'

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex')
const box = createSecretBox(KEY)

describe('parseEncryptionKey', () => {
  it.each([
    ['hex', KEY.toString('hex')],
    ['upper-case hex', KEY.toString('hex').toUpperCase()],
    ['base64', KEY.toString('base64')],
    ['base64 without padding', KEY.toString('base64').replace(/=+$/, '')],
    ['base64url', KEY.toString('base64url')],
    ['with surrounding whitespace', `  ${KEY.toString('hex')}\n`],
  ])('reads %s', (_name, text) => {
    expect(parseEncryptionKey(text)).toEqual(KEY)
  })

  it('reads base64 that uses + and / and base64url that uses - and _', () => {
    const key = Buffer.alloc(32, 0xfb) // encodes to +/ in base64 and -_ in base64url
    expect(key.toString('base64')).toMatch(/[+/]/)
    expect(parseEncryptionKey(key.toString('base64'))).toEqual(key)
    expect(parseEncryptionKey(key.toString('base64url'))).toEqual(key)
  })

  it.each([
    ['empty', ''],
    ['31 bytes of hex', KEY.subarray(0, 31).toString('hex')],
    ['33 bytes of hex', Buffer.concat([KEY, Buffer.from([1])]).toString('hex')],
    ['16 bytes of base64', KEY.subarray(0, 16).toString('base64')],
    ['48 bytes of base64', Buffer.alloc(48, 1).toString('base64')],
    ['a passphrase', 'correct horse battery staple'],
    ['hex with a stray character', KEY.toString('hex').slice(0, 63) + 'g'],
    ['base64 with a space inside', KEY.toString('base64').slice(0, 10) + ' ' + KEY.toString('base64').slice(10)],
  ])('refuses %s', (_name, text) => {
    expect(() => parseEncryptionKey(text)).toThrow(/32 bytes/)
  })

  it('never echoes the key in its error', () => {
    const text = Buffer.alloc(31, 0xab).toString('hex')
    expect(() => parseEncryptionKey(text)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(text) }))
  })
})

describe('createSecretBox', () => {
  it.each([[''], ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], ['pässwörd 🔑'], ['x'.repeat(10_000)], ['a:b:c:d']])(
    'round-trips %j',
    (plain) => {
      const sealed = box.seal(plain)
      expect(sealed).toMatch(/^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/]*={0,2}$/)
      expect(box.open(sealed)).toBe(plain)
    },
  )

  it('uses a fresh IV each time, so equal secrets do not look equal', () => {
    const a = box.seal('same')
    const b = box.seal('same')
    expect(a).not.toBe(b)
    expect(a.split(':')[1]).not.toBe(b.split(':')[1])
  })

  it('does not contain the plain text', () => {
    expect(box.seal('whsec_plainly-visible')).not.toContain('plainly')
  })

  it('opens with a box made from the same key text', () => {
    const other = createSecretBox(parseEncryptionKey(KEY.toString('base64')))
    expect(other.open(box.seal('shared'))).toBe('shared')
  })

  it('refuses a wrong key', () => {
    const other = createSecretBox(Buffer.alloc(32, 9))
    expect(() => other.open(box.seal('secret'))).toThrow(/wrong encryption key or the value was changed/)
  })

  it('keeps its own copy of the key', () => {
    const key = Buffer.from(KEY)
    const own = createSecretBox(key)
    const sealed = own.seal('secret')
    key.fill(0)
    expect(own.open(sealed)).toBe('secret')
  })

  const sealed = box.seal('the secret')
  const [, iv = '', tag = '', ct = ''] = sealed.split(':')
  const flip = (b64: string, index = 0): string => {
    const bytes = Buffer.from(b64, 'base64')
    bytes[index] = (bytes[index] ?? 0) ^ 1
    return bytes.toString('base64')
  }

  it.each([
    ['a changed ciphertext', `v1:${iv}:${tag}:${flip(ct)}`, /wrong encryption key or the value was changed/],
    ['a changed last ciphertext byte', `v1:${iv}:${tag}:${flip(ct, 9)}`, /wrong encryption key or the value was changed/],
    ['a changed tag', `v1:${iv}:${flip(tag)}:${ct}`, /wrong encryption key or the value was changed/],
    ['a changed IV', `v1:${flip(iv)}:${tag}:${ct}`, /wrong encryption key or the value was changed/],
    ['a truncated ciphertext', `v1:${iv}:${tag}:${Buffer.from(ct, 'base64').subarray(1).toString('base64')}`, /wrong encryption key/],
    ['an empty ciphertext', `v1:${iv}:${tag}:`, /wrong encryption key/],
    ['a short tag', `v1:${iv}:${Buffer.from(tag, 'base64').subarray(0, 12).toString('base64')}:${ct}`, /tag length/],
    ['a short IV', `v1:${Buffer.from(iv, 'base64').subarray(0, 8).toString('base64')}:${tag}:${ct}`, /IV/],
    ['another version', `v2:${iv}:${tag}:${ct}`, /not a sealed secret/],
    ['a missing part', `v1:${iv}:${tag}`, /not a sealed secret/],
    ['an extra part', `v1:${iv}:${tag}:${ct}:x`, /not a sealed secret/],
    ['non-base64 text', `v1:${iv}:${tag}:not base64!`, /not base64/],
    ['plain text', 'the secret', /not a sealed secret/],
    ['nothing', '', /not a sealed secret/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => box.open(text)).toThrow(message)
  })

  it.each([[0], [16], [31], [33], [64]])('refuses a %d-byte key', (n) => {
    expect(() => createSecretBox(Buffer.alloc(n))).toThrow(/32 bytes/)
  })
})
