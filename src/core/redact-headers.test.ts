import { describe, expect, it } from 'vitest'
import { REDACTED, redactHeaders } from './redact-headers.js'

describe('redactHeaders', () => {
  it('redacts every credential and signature header it always did, in any case', () => {
    const names = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'webhook-signature', 'svix-signature', 'stripe-signature', 'x-hub-signature', 'x-hub-signature-256', 'x-shopify-hmac-sha256', 'x-slack-signature', 'x-hookrelay-signature', 'x-knock-signature']
    const out = redactHeaders(Object.fromEntries(names.map((n) => [n.toUpperCase(), 'v'])), null)
    expect(out).toEqual(Object.fromEntries(names.map((n) => [n, REDACTED])))
  })

  it('redacts a header named like a credential as a query parameter of that name is (x-api-token), and the source\'s own', () => {
    expect(redactHeaders({ 'x-api-token': 't', 'X-Acme-Session': 's', 'x-custom-sig': 'h', 'x-trace-id': 'tr' }, 'X-Custom-Sig')).toEqual({
      'x-api-token': REDACTED,
      'x-acme-session': REDACTED,
      'x-custom-sig': REDACTED,
      'x-trace-id': 'tr',
    })
  })

  it('keeps the rest, names lowercased and repeated values joined', () => {
    expect(redactHeaders({ 'Content-Type': 'application/json', accept: ['a', 'b'], gone: undefined }, null)).toEqual({ 'content-type': 'application/json', accept: 'a, b' })
  })
})
