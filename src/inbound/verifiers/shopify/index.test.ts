import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { VerifyInput } from '../verifier.js'
import { verifyShopify } from './index.js'

// Shopify's own library (@shopify/shopify-api) needs a whole app config to validate a webhook, so
// the signer here is node:crypto, as in Shopify's "Verify webhooks" examples.
const SECRET = 'shpss_hookrelay-shopify-secret'
const BODY = '{"id":820982911946154508,"email":"jon@example.com","note":"Zoë 🚀"}'
const sign = (secret: string, body: string | Buffer): string => createHmac('sha256', secret).update(body).digest('base64')

function input(headers: VerifyInput['headers'], overrides: Partial<VerifyInput> = {}): VerifyInput {
  return { rawBody: Buffer.from(BODY), headers, secrets: [SECRET], nowMs: 1_700_000_000_000, toleranceSeconds: 300, ...overrides }
}

describe('verifyShopify', () => {
  it('accepts a base64 HMAC of the raw body', () => {
    expect(verifyShopify(input({ 'x-shopify-hmac-sha256': sign(SECRET, BODY) }))).toEqual({ ok: true })
  })

  it('refuses a tampered body and a wrong secret', () => {
    const header = sign(SECRET, BODY)
    expect(verifyShopify(input({ 'x-shopify-hmac-sha256': header }, { rawBody: Buffer.from(BODY.replace('jon', 'joe')) }))).toEqual({
      ok: false,
      reason: 'X-Shopify-Hmac-Sha256 does not match the body',
    })
    expect(verifyShopify(input({ 'x-shopify-hmac-sha256': header }, { secrets: ['shpss_other'] })).ok).toBe(false)
  })

  it('accepts the previous secret during a rotation', () => {
    const header = sign('shpss_previous', BODY)
    expect(verifyShopify(input({ 'x-shopify-hmac-sha256': header }, { secrets: [SECRET, 'shpss_previous'] }))).toEqual({ ok: true })
  })

  it('names the missing header', () => {
    expect(verifyShopify(input({ 'x-shopify-topic': 'orders/create' }))).toEqual({
      ok: false,
      reason: 'missing X-Shopify-Hmac-Sha256 header',
    })
  })

  it.each([
    ['hex', createHmac('sha256', SECRET).update(BODY).digest('hex')],
    ['unpadded base64', sign(SECRET, BODY).replace(/=$/, '')],
    ['base64 with a space inside', `${sign(SECRET, BODY).slice(0, 20)} ${sign(SECRET, BODY).slice(20)}`],
    ['words', 'definitely not base64!'],
    ['a huge value', 'A'.repeat(1_000_000)],
  ])('refuses %s without throwing', (_name, value) => {
    expect(verifyShopify(input({ 'x-shopify-hmac-sha256': value })).ok).toBe(false)
  })

  it('never lets an empty secret authenticate', () => {
    expect(verifyShopify(input({ 'x-shopify-hmac-sha256': sign('', BODY) }, { secrets: [''] }))).toEqual({
      ok: false,
      reason: 'no signing secret is configured',
    })
  })
})
