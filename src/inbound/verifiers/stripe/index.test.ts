import { createHmac } from 'node:crypto'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import type { VerifyInput } from '../verifier.js'
import { verifyStripe } from './index.js'

const SECRET = 'whsec_hookrelayStripeTest0123456789abcdef'
const BODY = '{\n  "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",\n  "object": "event",\n  "type": "customer.created",\n  "note": "Zoë 🚀"\n}'
const NOW_SEC = 1_700_000_000
const v1 = (secret: string, t: number | string, body: string): string => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
// Stripe's library signs in unit tests exactly as Stripe's servers do.
const stripeHeader = (timestamp: number, secret = SECRET, payload = BODY): string =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp })

function input(header: string | string[] | undefined, overrides: Partial<VerifyInput> = {}): VerifyInput {
  return {
    rawBody: Buffer.from(BODY),
    headers: { 'stripe-signature': header },
    secrets: [SECRET],
    nowMs: NOW_SEC * 1000,
    toleranceSeconds: 300,
    ...overrides,
  }
}

describe('verifyStripe', () => {
  it("accepts the stripe library's header, and Stripe's own verifier agrees", () => {
    const header = stripeHeader(NOW_SEC - 10)
    expect(verifyStripe(input(header))).toEqual({ ok: true })
    expect(Stripe.webhooks.signature!.verifyHeader(BODY, header, SECRET, 300, undefined, NOW_SEC * 1000)).toBe(true)
  })

  it('refuses a tampered body, timestamp or secret', () => {
    const header = stripeHeader(NOW_SEC - 10)
    expect(verifyStripe(input(header, { rawBody: Buffer.from(BODY.replace('created', 'deleted')) }))).toEqual({
      ok: false,
      reason: 'no v1 signature in Stripe-Signature matches the body',
    })
    expect(verifyStripe(input(header.replace(`t=${NOW_SEC - 10}`, `t=${NOW_SEC - 9}`))).ok).toBe(false)
    expect(verifyStripe(input(header, { secrets: ['whsec_other'] })).ok).toBe(false)
  })

  it('keys the HMAC with the whole secret, whsec_ included', () => {
    const t = NOW_SEC
    const decodedKey = createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64')).update(`${t}.${BODY}`).digest('hex')
    const withoutPrefix = v1(SECRET.slice(6), t, BODY)
    expect(verifyStripe(input(`t=${t},v1=${decodedKey}`)).ok).toBe(false)
    expect(verifyStripe(input(`t=${t},v1=${withoutPrefix}`)).ok).toBe(false)
    expect(verifyStripe(input(`t=${t},v1=${v1(SECRET, t, BODY)}`)).ok).toBe(true)
  })

  it('accepts any of several v1 signatures and ignores v0', () => {
    const t = NOW_SEC - 1
    const right = v1(SECRET, t, BODY)
    expect(verifyStripe(input(`t=${t},v1=${v1('whsec_old', t, BODY)},v1=${right},v0=${'0'.repeat(64)}`))).toEqual({ ok: true })
    expect(verifyStripe(input(`t=${t},v0=${right}`))).toEqual({ ok: false, reason: 'Stripe-Signature header has no v1 signature' })
    // A v0 scheme header from the library: signed the same way, but v0 does not count.
    const v0Header = Stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET, timestamp: t, scheme: 'v0' })
    expect(verifyStripe(input(v0Header)).ok).toBe(false)
  })

  it('accepts the previous secret during a rotation', () => {
    const header = stripeHeader(NOW_SEC, 'whsec_previous')
    expect(verifyStripe(input(header, { secrets: [SECRET, 'whsec_previous'] }))).toEqual({ ok: true })
  })

  it('refuses a timestamp older than the tolerance, where Stripe would too', () => {
    const header = stripeHeader(NOW_SEC - 301)
    expect(verifyStripe(input(header))).toEqual({
      ok: false,
      reason: 'Stripe-Signature timestamp is 301 s old, more than the 300 s allowed',
    })
    expect(() => Stripe.webhooks.signature!.verifyHeader(BODY, header, SECRET, 300, undefined, NOW_SEC * 1000)).toThrow(/tolerance/)
    expect(verifyStripe(input(stripeHeader(NOW_SEC - 300)))).toEqual({ ok: true })
    expect(verifyStripe(input(header, { toleranceSeconds: 600 }))).toEqual({ ok: true })
  })

  it("refuses a timestamp too far in the future, which Stripe's library lets through", () => {
    const header = stripeHeader(NOW_SEC + 301)
    expect(verifyStripe(input(header))).toEqual({
      ok: false,
      reason: 'Stripe-Signature timestamp is 301 s in the future, more than the 300 s allowed',
    })
    expect(Stripe.webhooks.signature!.verifyHeader(BODY, header, SECRET, 300, undefined, NOW_SEC * 1000)).toBe(true)
  })

  it('names the missing header', () => {
    expect(verifyStripe(input(undefined))).toEqual({ ok: false, reason: 'missing Stripe-Signature header' })
  })

  it.each([
    ['garbage', 'garbage'],
    ['no timestamp', `v1=${v1(SECRET, NOW_SEC, BODY)}`],
    ['a non-numeric timestamp', `t=abc,v1=${v1(SECRET, 'abc', BODY)}`],
    ['a fractional timestamp', `t=${NOW_SEC}.5,v1=${v1(SECRET, `${NOW_SEC}.5`, BODY)}`],
    ['a negative timestamp', `t=-1,v1=${v1(SECRET, -1, BODY)}`],
    ['a timestamp with a leading zero', `t=0${NOW_SEC},v1=${v1(SECRET, NOW_SEC, BODY)}`],
    ['two timestamps', `t=${NOW_SEC},t=${NOW_SEC},v1=${v1(SECRET, NOW_SEC, BODY)}`],
    ['a short v1', `t=${NOW_SEC},v1=abc`],
    ['only separators', ',,,,===,'],
    ['a huge value', `t=${NOW_SEC},` + 'v1=x,'.repeat(200_000)],
    ['a huge number of v1 under the limit', `t=${NOW_SEC},` + `v1=${'a'.repeat(64)},`.repeat(240)],
    ['an empty array', []],
  ])('refuses %s without throwing', (_name, header) => {
    expect(verifyStripe(input(header)).ok).toBe(false)
  })

  it('uses the first of repeated header values', () => {
    const good = stripeHeader(NOW_SEC)
    expect(verifyStripe(input([good, 'garbage']))).toEqual({ ok: true })
    expect(verifyStripe(input(['garbage', good])).ok).toBe(false)
  })

  it('fails closed on a tolerance that is not a number', () => {
    expect(verifyStripe(input(stripeHeader(NOW_SEC), { toleranceSeconds: Number.NaN }))).toEqual({
      ok: false,
      reason: 'timestamp tolerance is not configured correctly',
    })
  })

  it('never puts the secret or the expected signature in its reason', () => {
    const t = NOW_SEC
    const result = verifyStripe(input(`t=${t},v1=${'0'.repeat(64)}`))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.reason).not.toContain(SECRET)
      expect(result.reason).not.toContain(v1(SECRET, t, BODY))
    }
  })
})
