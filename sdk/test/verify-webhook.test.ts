/**
 * verifyWebhook (API.md, SDK) against the Standard Webhooks reference library (`standardwebhooks`):
 * the spec's fixed vector, the library's own test cases run through both implementations (they
 * must agree on every one), signatures made by each verified by the other, and deliveries captured
 * at a real receiver from a real server.
 */
import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../src/index.js'
import { endpointAt, useSdkServerAndReceiver } from './helpers.js'

// The fixed example of the Standard Webhooks specification and its reference libraries.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

/** Headers of a fresh message signed with the spec's secret, as the reference library's tests make them. */
function signedNow(atMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(atMs / 1000)
  return { 'webhook-id': SPEC.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(SPEC.secret, { id: SPEC.id, timestamp, body: SPEC.body }) }
}

const TOLERANCE_MS = 5 * 60 * 1000

/** Each case of the reference library's test suite: a change to a valid message and whether it must verify. */
const CASES: Array<{ name: string; change: (h: Record<string, string>) => Record<string, string>; valid: boolean }> = [
  { name: 'a valid signature', change: (h) => h, valid: true },
  { name: 'a missing id', change: ({ 'webhook-id': _, ...h }) => h, valid: false },
  { name: 'a missing timestamp', change: ({ 'webhook-timestamp': _, ...h }) => h, valid: false },
  { name: 'a missing signature', change: ({ 'webhook-signature': _, ...h }) => h, valid: false },
  { name: 'a timestamp that is not a number', change: (h) => ({ ...h, 'webhook-timestamp': 'hello' }), valid: false },
  { name: 'a wrong signature', change: (h) => ({ ...h, 'webhook-signature': 'v1,dawfeoifkpqwoekfpqoekf' }), valid: false },
  { name: 'a cut signature', change: (h) => ({ ...h, 'webhook-signature': h['webhook-signature']!.slice(0, 8) }), valid: false },
  { name: 'an empty v1 signature', change: (h) => ({ ...h, 'webhook-signature': 'v1,' }), valid: false },
  { name: 'a timestamp older than the tolerance', change: () => signedNow(Date.now() - TOLERANCE_MS - 1000), valid: false },
  { name: 'a timestamp further ahead than the tolerance', change: () => signedNow(Date.now() + TOLERANCE_MS + 1000), valid: false },
  {
    name: 'several signatures, one of them valid (rotation), beside other versions',
    change: (h) => ({
      ...h,
      'webhook-signature': ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', h['webhook-signature'], 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='].join(' '),
    }),
    valid: true,
  },
  { name: 'the same signature under another version', change: (h) => ({ ...h, 'webhook-signature': h['webhook-signature']!.replace('v1,', 'v2,') }), valid: false },
]

const theirs = (secret: string, body: string, headers: Record<string, string>): boolean => {
  try {
    new Webhook(secret).verify(body, headers)
    return true
  } catch {
    return false
  }
}
const ours = (secret: string, body: string, headers: Record<string, string>): boolean => {
  try {
    verifyWebhook(body, headers, secret)
    return true
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError)
    return false
  }
}

describe('verifyWebhook and the Standard Webhooks reference library', () => {
  it('signs the specification example as the spec says, and verifies it at its time', () => {
    expect(signWebhook(SPEC.secret, { id: SPEC.id, timestamp: SPEC.timestamp, body: SPEC.body })).toBe(SPEC.signature)
    expect(new Webhook(SPEC.secret).sign(SPEC.id, new Date(SPEC.timestamp * 1000), SPEC.body)).toBe(SPEC.signature)
    const headers = { 'webhook-id': SPEC.id, 'webhook-timestamp': String(SPEC.timestamp), 'webhook-signature': SPEC.signature }
    expect(verifyWebhook(SPEC.body, headers, SPEC.secret, { now: SPEC.timestamp * 1000 })).toEqual({ test: 2432232314 })
    // Out of tolerance at any other time: an old, captured request cannot be replayed.
    expect(() => verifyWebhook(SPEC.body, headers, SPEC.secret)).toThrow(expect.objectContaining({ code: 'timestamp_too_old' }))
  })

  for (const c of CASES) {
    it(`agrees with the reference library on ${c.name} (${c.valid ? 'accepted' : 'refused'})`, () => {
      const headers = c.change(signedNow())
      expect(theirs(SPEC.secret, SPEC.body, headers)).toBe(c.valid)
      expect(ours(SPEC.secret, SPEC.body, headers)).toBe(c.valid)
    })
  }

  it('takes the secret with or without the whsec_ prefix, as the library does', () => {
    const headers = signedNow()
    const bare = SPEC.secret.slice('whsec_'.length)
    expect(theirs(bare, SPEC.body, headers)).toBe(true)
    expect(ours(bare, SPEC.body, headers)).toBe(true)
  })

  it('verifies what the library signs, and the library verifies what it signs, for many secrets and bodies', () => {
    for (let i = 0; i < 50; i++) {
      const secret = `whsec_${randomBytes(24 + (i % 9)).toString('base64')}`
      const id = `msg_${randomBytes(8).toString('hex')}`
      const now = new Date()
      const body = JSON.stringify({ i, text: 'naïve café ✓ 🚀', nested: { list: [1, 2.5, null, true], empty: {} }, pad: 'x'.repeat(i * 37) })
      const timestamp = String(Math.floor(now.getTime() / 1000))

      const theirSignature = new Webhook(secret).sign(id, now, body)
      expect(verifyWebhook(body, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': theirSignature }, secret)).toEqual(JSON.parse(body))

      const ourSignature = signWebhook(secret, { id, timestamp: now, body })
      expect(new Webhook(secret).verify(body, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': ourSignature })).toEqual(JSON.parse(body))
      expect(ourSignature).toBe(theirSignature)
    }
  })
})

describe('verifyWebhook details', () => {
  it('accepts svix-* headers, but never a mix of the two sets', () => {
    const h = signedNow()
    const svix = { 'svix-id': h['webhook-id']!, 'svix-timestamp': h['webhook-timestamp']!, 'svix-signature': h['webhook-signature']! }
    expect(verifyWebhook(SPEC.body, svix, SPEC.secret)).toEqual({ test: 2432232314 })
    expect(() => verifyWebhook(SPEC.body, { 'webhook-id': h['webhook-id']!, 'svix-timestamp': h['webhook-timestamp']!, 'svix-signature': h['webhook-signature']! }, SPEC.secret)).toThrow(
      expect.objectContaining({ code: 'missing_headers' }),
    )
  })

  it('reads Fetch Headers and header names in any case', () => {
    const h = signedNow()
    expect(verifyWebhook(SPEC.body, new Headers(h), SPEC.secret)).toEqual({ test: 2432232314 })
    expect(verifyWebhook(SPEC.body, Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v])), SPEC.secret)).toEqual({ test: 2432232314 })
  })

  it('takes bytes as well as text, and refuses a parsed object (the re-serialized body bug)', () => {
    const h = signedNow()
    expect(verifyWebhook(Buffer.from(SPEC.body), h, SPEC.secret)).toEqual({ test: 2432232314 })
    expect(verifyWebhook(new TextEncoder().encode(SPEC.body).buffer, h, SPEC.secret)).toEqual({ test: 2432232314 })
    expect(() => verifyWebhook(JSON.parse(SPEC.body), h, SPEC.secret)).toThrow(TypeError)
    // JSON.stringify of the parsed body is not the signed text.
    expect(() => verifyWebhook(JSON.stringify(JSON.parse(SPEC.body)), h, SPEC.secret)).toThrow(expect.objectContaining({ code: 'no_matching_signature' }))
  })

  it('checks the timestamp both ways with the tolerance given', () => {
    const now = Date.now()
    const at = (offsetS: number): Record<string, string> => signedNow(now + offsetS * 1000)
    expect(verifyWebhook(SPEC.body, at(-9), SPEC.secret, { toleranceSeconds: 10, now })).toEqual({ test: 2432232314 })
    expect(verifyWebhook(SPEC.body, at(9), SPEC.secret, { toleranceSeconds: 10, now })).toEqual({ test: 2432232314 })
    expect(() => verifyWebhook(SPEC.body, at(-12), SPEC.secret, { toleranceSeconds: 10, now })).toThrow(expect.objectContaining({ code: 'timestamp_too_old' }))
    expect(() => verifyWebhook(SPEC.body, at(12), SPEC.secret, { toleranceSeconds: 10, now })).toThrow(expect.objectContaining({ code: 'timestamp_too_new' }))
  })

  it('accepts a list of secrets, for a receiver that moves to a new one', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`
    expect(verifyWebhook(SPEC.body, signedNow(), [other, SPEC.secret])).toEqual({ test: 2432232314 })
    expect(() => verifyWebhook(SPEC.body, signedNow(), [other])).toThrow(WebhookVerificationError)
  })

  it('returns a body that is not JSON as its text (payload.format text)', () => {
    const timestamp = Math.floor(Date.now() / 1000)
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(SPEC.secret, { id: 'evt_1', timestamp, body: 'plain text' }) }
    expect(verifyWebhook('plain text', headers, SPEC.secret)).toBe('plain text')
  })

  it('refuses an empty secret as a setup error, not as a forged request', () => {
    expect(() => verifyWebhook(SPEC.body, signedNow(), '')).toThrow(TypeError)
    expect(() => verifyWebhook(SPEC.body, signedNow(), 'whsec_')).toThrow(TypeError)
  })
})

describe('verifyWebhook on deliveries captured at a real receiver', () => {
  const env = useSdkServerAndReceiver()

  it('verifies every delivery, as the reference library does, and refuses any change to one', async () => {
    const { tenantId, secret } = await endpointAt(env.s.hr, `${env.receiver.url}/captured`)
    const payloads = [{ n: 1 }, { text: 'naïve café ✓ 🚀', list: [1, 2, 3] }, { deep: { a: { b: { c: 'd' } } }, big: 'y'.repeat(20_000) }]
    for (const payload of payloads) await env.s.hr.events.publish(tenantId, { type: 'captured.event', payload })
    const hits = await env.receiver.waitForHits(payloads.length)
    expect(hits).toHaveLength(payloads.length)
    for (const hit of hits) {
      const event = verifyWebhook<{ data: unknown }>(hit.body, hit.headers, secret)
      expect(payloads).toContainEqual(event.data)
      expect(new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>)).toEqual(event)

      // A changed byte, another id, a re-signed old timestamp: each refused.
      expect(() => verifyWebhook(hit.body.replace('"data"', '"Data"'), hit.headers, secret)).toThrow(WebhookVerificationError)
      expect(() => verifyWebhook(hit.body, { ...hit.headers, 'webhook-id': 'evt_other' }, secret)).toThrow(WebhookVerificationError)
      expect(() => verifyWebhook(hit.body, { ...hit.headers, 'webhook-timestamp': String(Number(hit.headers['webhook-timestamp']) - 1) }, secret)).toThrow(WebhookVerificationError)
      expect(() => verifyWebhook(hit.body, hit.headers, `whsec_${randomBytes(32).toString('base64')}`)).toThrow(WebhookVerificationError)
    }
  })
})
