import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { VerifyInput } from '../verifier.js'
import { verifyHmac } from './index.js'

// No provider library exists for a generic HMAC header, so the signer here is node:crypto itself,
// independent of the verifier's helpers.
const SECRET = 'hookrelay-hmac-secret'
const BODY = '{"event":"task.assigned","task":{"id":"t_123","title":"Zoë 🚀"}}'
const sign = (secret: string, body: string, encoding: 'hex' | 'base64' = 'hex'): string =>
  createHmac('sha256', secret).update(body).digest(encoding)

function input(headers: VerifyInput['headers'], overrides: Partial<VerifyInput> = {}): VerifyInput {
  return { rawBody: Buffer.from(BODY), headers, secrets: [SECRET], nowMs: 1_700_000_000_000, toleranceSeconds: 300, ...overrides }
}

describe('verifyHmac', () => {
  it('accepts hex in X-Hookrelay-Signature by default, in either case', () => {
    expect(verifyHmac(input({ 'x-hookrelay-signature': sign(SECRET, BODY) }))).toEqual({ ok: true })
    expect(verifyHmac(input({ 'x-hookrelay-signature': sign(SECRET, BODY).toUpperCase() }))).toEqual({ ok: true })
  })

  it("reads the configured header, as for Knock's X-Knock-Signature", () => {
    const headers = { 'x-knock-signature': sign(SECRET, BODY) }
    expect(verifyHmac(input(headers, { header: 'X-Knock-Signature' }))).toEqual({ ok: true })
    expect(verifyHmac(input(headers))).toEqual({ ok: false, reason: 'missing X-Hookrelay-Signature header' })
  })

  it('accepts base64 with a configured prefix, and requires that prefix', () => {
    const config = { header: 'X-Signature', encoding: 'base64', prefix: 'sha256=' } as const
    const b64 = sign(SECRET, BODY, 'base64')
    expect(verifyHmac(input({ 'x-signature': `sha256=${b64}` }, config))).toEqual({ ok: true })
    expect(verifyHmac(input({ 'x-signature': b64 }, config))).toEqual({ ok: false, reason: 'X-Signature header lacks the expected prefix' })
    // base64 is case-sensitive: changing the case changes the bytes.
    expect(verifyHmac(input({ 'x-signature': `sha256=${b64.toLowerCase()}` }, config)).ok).toBe(false)
  })

  it('refuses a tampered body, a wrong secret and a signature in the other encoding', () => {
    const signature = sign(SECRET, BODY)
    expect(verifyHmac(input({ 'x-hookrelay-signature': signature }, { rawBody: Buffer.from(BODY + ' ') }))).toEqual({
      ok: false,
      reason: 'X-Hookrelay-Signature does not match the body',
    })
    expect(verifyHmac(input({ 'x-hookrelay-signature': signature }, { secrets: ['other'] })).ok).toBe(false)
    expect(verifyHmac(input({ 'x-hookrelay-signature': signature }, { encoding: 'base64' }))).toEqual({
      ok: false,
      reason: 'X-Hookrelay-Signature header is not a base64 SHA-256 signature',
    })
  })

  it('signs the raw bytes, not a decoding of them', () => {
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) // not UTF-8
    const signature = createHmac('sha256', SECRET).update(raw).digest('hex')
    expect(verifyHmac(input({ 'x-hookrelay-signature': signature }, { rawBody: raw }))).toEqual({ ok: true })
    expect(verifyHmac(input({ 'x-hookrelay-signature': signature }, { rawBody: Buffer.from([0x7b, 0xfe, 0xff, 0x7d]) })).ok).toBe(false)
  })

  it('accepts any active secret, so a rotation overlaps', () => {
    const headers = { 'x-hookrelay-signature': sign('previous', BODY) }
    expect(verifyHmac(input(headers, { secrets: [SECRET, 'previous'] }))).toEqual({ ok: true })
    expect(verifyHmac(input(headers, { secrets: [SECRET] })).ok).toBe(false)
  })

  it('never lets an empty secret authenticate', () => {
    const headers = { 'x-hookrelay-signature': sign('', BODY) }
    expect(verifyHmac(input(headers, { secrets: [''] }))).toEqual({ ok: false, reason: 'no signing secret is configured' })
    expect(verifyHmac(input(headers, { secrets: [] }))).toEqual({ ok: false, reason: 'no signing secret is configured' })
  })

  it('uses the first of repeated header values', () => {
    const good = sign(SECRET, BODY)
    expect(verifyHmac(input({ 'x-hookrelay-signature': [good, 'junk'] }))).toEqual({ ok: true })
    expect(verifyHmac(input({ 'x-hookrelay-signature': ['junk', good] })).ok).toBe(false)
    expect(verifyHmac(input({ 'x-hookrelay-signature': [] }))).toEqual({ ok: false, reason: 'missing X-Hookrelay-Signature header' })
  })

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['words', 'not a signature'],
    ['odd-length hex', 'abc'],
    ['hex with a non-hex digit', 'g'.repeat(64)],
    ['a 65-digit hex', 'a'.repeat(65)],
    ['huge', 'a'.repeat(1_000_000)],
    ['control characters', '\u0000\r\n'],
  ])('refuses a %s header without throwing', (_name, value) => {
    const result = verifyHmac(input({ 'x-hookrelay-signature': value }))
    expect(result.ok).toBe(false)
  })

  it('refuses an encoding the type rules out but stored JSON might hold', () => {
    const odd = { encoding: 'base64url' } as unknown as Partial<VerifyInput>
    expect(verifyHmac(input({ 'x-hookrelay-signature': sign(SECRET, BODY) }, odd))).toEqual({
      ok: false,
      reason: 'unsupported signature encoding',
    })
  })

  it('never puts the secret or the expected signature in its reason', () => {
    const expected = sign(SECRET, BODY)
    const result = verifyHmac(input({ 'x-hookrelay-signature': '0'.repeat(64) }))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.reason).not.toContain(SECRET)
      expect(result.reason).not.toContain(expected)
    }
  })
})
