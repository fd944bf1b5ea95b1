import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { describe, expect, it } from 'vitest'
import { generateSecret } from '../../../core/signing/standard-webhooks.js'
import type { VerifyInput } from '../verifier.js'
import { verifyStandardWebhooks } from './index.js'

// The test vector published with the Standard Webhooks spec and its reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const SECRET = 'whsec_' + Buffer.from('hookrelay inbound test secret 32').toString('base64')
const BODY = '{"type":"user.created","data":{"name":"Zoë 🚀"}}'
const NOW_SEC = 1_700_000_000
const MSG_ID = 'msg_2Lh9KRb0pzN4LePd3XqMhQ2cgGr'

function input(headers: VerifyInput['headers'], overrides: Partial<VerifyInput> = {}): VerifyInput {
  return { rawBody: Buffer.from(BODY), headers, secrets: [SECRET], nowMs: NOW_SEC * 1000, toleranceSeconds: 300, ...overrides }
}
const headers = (prefix: 'webhook' | 'svix', signature: string, ts: number | string = NOW_SEC, id = MSG_ID): VerifyInput['headers'] => ({
  [`${prefix}-id`]: id,
  [`${prefix}-timestamp`]: String(ts),
  [`${prefix}-signature`]: signature,
})
const vectorInput = (h: VerifyInput['headers'], secret = VECTOR.secret): VerifyInput => ({
  rawBody: Buffer.from(VECTOR.body),
  headers: h,
  secrets: [secret],
  nowMs: VECTOR.timestamp * 1000,
  toleranceSeconds: 300,
})

describe('verifyStandardWebhooks', () => {
  it('accepts the spec test vector under webhook-* and svix-* headers, with or without whsec_', () => {
    const webhook = headers('webhook', VECTOR.signature, VECTOR.timestamp, VECTOR.msgId)
    expect(verifyStandardWebhooks(vectorInput(webhook))).toEqual({ ok: true })
    expect(verifyStandardWebhooks(vectorInput(headers('svix', VECTOR.signature, VECTOR.timestamp, VECTOR.msgId)))).toEqual({ ok: true })
    expect(verifyStandardWebhooks(vectorInput(webhook, VECTOR.secret.slice(6)))).toEqual({ ok: true })
  })

  it('accepts what the standardwebhooks library signs', () => {
    const signature = new StandardWebhook(SECRET).sign(MSG_ID, new Date(NOW_SEC * 1000), BODY)
    expect(verifyStandardWebhooks(input(headers('webhook', signature)))).toEqual({ ok: true })
  })

  it('accepts what the svix library signs, under svix-* headers', () => {
    const signature = new SvixWebhook(SECRET).sign(MSG_ID, new Date((NOW_SEC - 20) * 1000), BODY)
    expect(verifyStandardWebhooks(input(headers('svix', signature, NOW_SEC - 20)))).toEqual({ ok: true })
  })

  it('reads each header from either family, as the svix library does', () => {
    const signature = new SvixWebhook(SECRET).sign(MSG_ID, new Date(NOW_SEC * 1000), BODY)
    const mixed = { 'svix-id': MSG_ID, 'webhook-timestamp': String(NOW_SEC), 'svix-signature': signature }
    expect(verifyStandardWebhooks(input(mixed))).toEqual({ ok: true })
  })

  it('refuses a tampered body, id, timestamp or secret', () => {
    const signature = new StandardWebhook(SECRET).sign(MSG_ID, new Date(NOW_SEC * 1000), BODY)
    expect(verifyStandardWebhooks(input(headers('webhook', signature), { rawBody: Buffer.from(BODY.replace('ë', 'e')) }))).toEqual({
      ok: false,
      reason: 'no v1 signature in webhook-signature matches the body',
    })
    expect(verifyStandardWebhooks(input(headers('webhook', signature, NOW_SEC, 'msg_other'))).ok).toBe(false)
    expect(verifyStandardWebhooks(input(headers('webhook', signature, NOW_SEC + 1))).ok).toBe(false)
    expect(verifyStandardWebhooks(input(headers('webhook', signature), { secrets: [generateSecret()] })).ok).toBe(false)
  })

  it('accepts any of several signatures, and any active secret', () => {
    const previous = generateSecret()
    const old = new StandardWebhook(previous).sign(MSG_ID, new Date(NOW_SEC * 1000), BODY)
    const current = new StandardWebhook(SECRET).sign(MSG_ID, new Date(NOW_SEC * 1000), BODY)
    expect(verifyStandardWebhooks(input(headers('webhook', `v2,abc ${old} ${current}`)))).toEqual({ ok: true })
    expect(verifyStandardWebhooks(input(headers('webhook', old), { secrets: [SECRET, previous] }))).toEqual({ ok: true })
  })

  it('refuses timestamps beyond the tolerance either way', () => {
    const at = (ts: number): ReturnType<typeof verifyStandardWebhooks> =>
      verifyStandardWebhooks(input(headers('webhook', new StandardWebhook(SECRET).sign(MSG_ID, new Date(ts * 1000), BODY), ts)))
    expect(at(NOW_SEC - 300)).toEqual({ ok: true })
    expect(at(NOW_SEC + 300)).toEqual({ ok: true })
    expect(at(NOW_SEC - 301)).toEqual({ ok: false, reason: 'webhook-timestamp is 301 s old, more than the 300 s allowed' })
    expect(at(NOW_SEC + 301)).toEqual({ ok: false, reason: 'webhook-timestamp is 301 s in the future, more than the 300 s allowed' })
  })

  it('names a missing header by both spellings', () => {
    const signature = new StandardWebhook(SECRET).sign(MSG_ID, new Date(NOW_SEC * 1000), BODY)
    const h = headers('webhook', signature)
    for (const name of ['id', 'timestamp', 'signature']) {
      const without = Object.fromEntries(Object.entries(h).filter(([k]) => k !== `webhook-${name}`))
      expect(verifyStandardWebhooks(input(without))).toEqual({ ok: false, reason: `missing webhook-${name} (or svix-${name}) header` })
    }
  })

  it('refuses a body that is not UTF-8 rather than signing a lossy decoding of it', () => {
    // Both bodies decode to the same text ("{\uFFFD}"), so only refusing keeps them apart.
    const signed = Buffer.from([0x7b, 0xff, 0x7d])
    const text = signed.toString('utf8')
    const signature = new StandardWebhook(SECRET).sign(MSG_ID, new Date(NOW_SEC * 1000), text)
    expect(verifyStandardWebhooks(input(headers('webhook', signature), { rawBody: Buffer.from([0x7b, 0xfe, 0x7d]) }))).toEqual({
      ok: false,
      reason: 'body is not valid UTF-8',
    })
  })

  it.each([
    ['no v1 entry', headers('webhook', 'v1a,' + 'A'.repeat(86))],
    ['a truncated signature', headers('webhook', VECTOR.signature.slice(0, 8))],
    ['an empty v1', headers('webhook', 'v1,')],
    ['a non-numeric timestamp', headers('webhook', VECTOR.signature, 'hello')],
    ['a timestamp with a leading zero', headers('webhook', VECTOR.signature, `0${NOW_SEC}`)],
    ['a huge signature list', headers('webhook', 'v1,abc '.repeat(200_000))],
    ['a huge id under svix-', { 'svix-id': 'x'.repeat(100_000), 'svix-timestamp': String(NOW_SEC), 'svix-signature': 'v1,abc' }],
    ['arrays', { 'webhook-id': [MSG_ID], 'webhook-timestamp': [], 'webhook-signature': ['v1,abc', 'v1,def'] }],
  ])('refuses %s without throwing', (_name, h) => {
    expect(verifyStandardWebhooks(input(h)).ok).toBe(false)
  })

  it('never lets an empty secret authenticate', () => {
    const result = verifyStandardWebhooks(input(headers('webhook', VECTOR.signature), { secrets: ['', 'whsec_'] }))
    expect(result.ok).toBe(false)
  })
})
