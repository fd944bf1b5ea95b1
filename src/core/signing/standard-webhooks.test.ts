import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { describe, expect, it } from 'vitest'
import { generateSecret, isValidSecret, secretKey, sign, signatureHeader, verify } from './standard-webhooks.js'

// The test vector published with the Standard Webhooks spec and its reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

const nowSec = (): number => Math.floor(Date.now() / 1000)

describe('sign', () => {
  it('reproduces the spec test vector', () => {
    expect(sign(VECTOR.secret, VECTOR.msgId, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature)
  })

  it('accepts the secret without its whsec_ prefix, as the reference libraries do', () => {
    expect(sign(VECTOR.secret.slice(6), VECTOR.msgId, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature)
  })

  it.each([
    ['msg id', { ...VECTOR, msgId: 'msg_other' }],
    ['timestamp', { ...VECTOR, timestamp: VECTOR.timestamp + 1 }],
    ['body', { ...VECTOR, body: '{"test": 2432232315}' }],
    ['secret', { ...VECTOR, secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64') }],
  ])('changes with the %s', (_name, v) => {
    expect(sign(v.secret, v.msgId, v.timestamp, v.body)).not.toBe(VECTOR.signature)
  })

  it('signs the body as UTF-8', () => {
    const a = sign(VECTOR.secret, 'msg_1', 1, '{"name":"Zoë 🚀"}')
    const b = sign(VECTOR.secret, 'msg_1', 1, '{"name":"Zoe 🚀"}')
    expect(a).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(a).not.toBe(b)
  })

  it.each([[1.5], [Number.NaN], [Number.MAX_SAFE_INTEGER + 2]])('refuses timestamp %d', (ts) => {
    expect(() => sign(VECTOR.secret, 'msg_1', ts, '')).toThrow(RangeError)
  })

  it('refuses an empty secret', () => {
    expect(() => sign('whsec_', 'msg_1', 1, '')).toThrow(/empty/)
  })
})

describe('signatureHeader', () => {
  it('joins one signature per secret with a space', () => {
    const other = generateSecret()
    const header = signatureHeader([VECTOR.secret, other], VECTOR.msgId, VECTOR.timestamp, VECTOR.body)
    expect(header).toBe(`${VECTOR.signature} ${sign(other, VECTOR.msgId, VECTOR.timestamp, VECTOR.body)}`)
    expect(signatureHeader([VECTOR.secret], VECTOR.msgId, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature)
  })

  it('refuses to sign with no secret', () => {
    expect(() => signatureHeader([], 'msg_1', 1, '')).toThrow()
  })
})

describe('verify', () => {
  const headers = { id: VECTOR.msgId, timestamp: String(VECTOR.timestamp), signature: VECTOR.signature }
  const at = VECTOR.timestamp
  const other = sign('whsec_' + Buffer.alloc(32, 7).toString('base64'), VECTOR.msgId, VECTOR.timestamp, VECTOR.body)

  it.each<[string, Partial<typeof headers>, string, number, number | undefined, boolean]>([
    ['the spec vector', {}, VECTOR.body, at, undefined, true],
    ['at the edge of the past tolerance', {}, VECTOR.body, at + 300, undefined, true],
    ['at the edge of the future tolerance', {}, VECTOR.body, at - 300, undefined, true],
    ['a stale timestamp', {}, VECTOR.body, at + 301, undefined, false],
    ['a future timestamp', {}, VECTOR.body, at - 301, undefined, false],
    ['a custom tolerance', {}, VECTOR.body, at + 3600, 3600, true],
    ['beyond a custom tolerance', {}, VECTOR.body, at + 61, 60, false],
    ['a changed body', {}, VECTOR.body + ' ', at, undefined, false],
    ['a changed id', { id: 'msg_x' }, VECTOR.body, at, undefined, false],
    ['a changed timestamp', { timestamp: String(at + 1) }, VECTOR.body, at, undefined, false],
    ['a zero-padded timestamp', { timestamp: '0' + String(at) }, VECTOR.body, at, undefined, false],
    ['a non-numeric timestamp', { timestamp: 'abc' }, VECTOR.body, at, undefined, false],
    ['a negative timestamp', { timestamp: '-1' }, VECTOR.body, at, undefined, false],
    ['a fractional timestamp', { timestamp: `${at}.0` }, VECTOR.body, at, undefined, false],
    ['an empty timestamp', { timestamp: '' }, VECTOR.body, at, undefined, false],
    ['a matching signature among others', { signature: `${other} ${VECTOR.signature}` }, VECTOR.body, at, undefined, true],
    ['a matching signature after an unknown version', { signature: `v1a,abc ${VECTOR.signature}` }, VECTOR.body, at, undefined, true],
    ['only other signatures', { signature: other }, VECTOR.body, at, undefined, false],
    ['a wrong version', { signature: VECTOR.signature.replace('v1,', 'v2,') }, VECTOR.body, at, undefined, false],
    ['no version', { signature: VECTOR.signature.slice(3) }, VECTOR.body, at, undefined, false],
    ['a truncated signature', { signature: VECTOR.signature.slice(0, -1) }, VECTOR.body, at, undefined, false],
    ['a longer signature', { signature: VECTOR.signature + 'A' }, VECTOR.body, at, undefined, false],
    ['an empty signature', { signature: '' }, VECTOR.body, at, undefined, false],
    ['a bare v1,', { signature: 'v1,' }, VECTOR.body, at, undefined, false],
  ])('%s -> %s', (_name, change, body, now, tolerance, expected) => {
    expect(verify(VECTOR.secret, { ...headers, ...change }, body, now, tolerance)).toBe(expected)
  })

  it('refuses with another secret', () => {
    expect(verify(generateSecret(), headers, VECTOR.body, at)).toBe(false)
  })

  it('refuses rather than throws with an empty secret', () => {
    expect(verify('whsec_', headers, VECTOR.body, at)).toBe(false)
  })

  it('accepts either secret during a rotation', () => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()]
    const signature = signatureHeader([oldSecret, newSecret], 'msg_rot', 1_700_000_000, '{}')
    const h = { id: 'msg_rot', timestamp: '1700000000', signature }
    expect(verify(oldSecret, h, '{}', 1_700_000_000)).toBe(true)
    expect(verify(newSecret, h, '{}', 1_700_000_000)).toBe(true)
    expect(verify(generateSecret(), h, '{}', 1_700_000_000)).toBe(false)
  })
})

describe('interoperability with the reference libraries', () => {
  const body = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', timestamp: '2024-01-01T00:00:00.000Z', data: { amount: 42, note: 'café' } })

  it.each([
    ['standardwebhooks', (secret: string, h: Record<string, string>) => new StandardWebhook(secret).verify(body, h), 'webhook'],
    ['svix (webhook-* headers)', (secret: string, h: Record<string, string>) => new SvixWebhook(secret).verify(body, h), 'webhook'],
    ['svix (svix-* headers)', (secret: string, h: Record<string, string>) => new SvixWebhook(secret).verify(body, h), 'svix'],
  ])('%s accepts our signatures, one secret or two during rotation', (_lib, libVerify, headerPrefix) => {
    const [oldSecret, newSecret] = [generateSecret(), generateSecret()]
    const ts = nowSec()
    const headersFor = (signature: string): Record<string, string> => ({
      [`${headerPrefix}-id`]: 'evt_01HZZZ',
      [`${headerPrefix}-timestamp`]: String(ts),
      [`${headerPrefix}-signature`]: signature,
    })

    const single = headersFor(signatureHeader([newSecret], 'evt_01HZZZ', ts, body))
    expect(libVerify(newSecret, single)).toEqual(JSON.parse(body))
    expect(() => libVerify(oldSecret, single)).toThrow()

    const rotating = headersFor(signatureHeader([oldSecret, newSecret], 'evt_01HZZZ', ts, body))
    expect(libVerify(oldSecret, rotating)).toEqual(JSON.parse(body))
    expect(libVerify(newSecret, rotating)).toEqual(JSON.parse(body))
    expect(() => libVerify(generateSecret(), rotating)).toThrow()
  })

  it('we accept what standardwebhooks signs', () => {
    const secret = generateSecret()
    const ts = nowSec()
    const signature = new StandardWebhook(secret).sign('msg_ref', new Date(ts * 1000), body)
    expect(verify(secret, { id: 'msg_ref', timestamp: String(ts), signature }, body, ts)).toBe(true)
  })
})

describe('generateSecret', () => {
  it('makes whsec_ + base64 of 32 random bytes, different every time', () => {
    const a = generateSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32)
    expect(isValidSecret(a)).toBe(true)
    expect(generateSecret()).not.toBe(a)
  })
})

describe('secretKey', () => {
  it('decodes the base64 after whsec_ and returns the same Buffer on the hot path', () => {
    const key = secretKey(VECTOR.secret)
    expect(key).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))
    expect(key).toHaveLength(24)
    expect(secretKey(VECTOR.secret)).toBe(key)
  })

  it('stays correct past the cache limit', () => {
    const secrets = Array.from({ length: 1100 }, () => generateSecret())
    for (const s of secrets) secretKey(s)
    for (const s of [secrets[0]!, secrets[1099]!]) expect(secretKey(s)).toEqual(Buffer.from(s.slice(6), 'base64'))
  })
})

describe('isValidSecret', () => {
  it.each([
    [VECTOR.secret, true], // 24 bytes
    ['whsec_' + Buffer.alloc(32).toString('base64'), true],
    ['whsec_' + Buffer.alloc(64).toString('base64'), true],
    ['whsec_' + Buffer.alloc(25).toString('base64'), true], // '==' padding
    ['whsec_' + Buffer.alloc(26).toString('base64'), true], // '=' padding
    ['whsec_' + Buffer.alloc(23).toString('base64'), false],
    ['whsec_' + Buffer.alloc(65).toString('base64'), false],
    [VECTOR.secret.slice(6), false],
    ['WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', false],
    ['whsec_', false],
    ['', false],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS', false], // not a multiple of 4
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!', false],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La-aSw', false], // base64url is not the spec's alphabet
    ['whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw', false],
    ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n', false],
  ])('%j -> %s', (s, expected) => {
    expect(isValidSecret(s)).toBe(expected)
  })
})
