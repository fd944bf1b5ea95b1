import { describe, expect, it } from 'vitest'
import { maskCredentialHeaders, maskHeaderValue, maskSecret } from './mask-header.js'

describe('maskSecret', () => {
  it('shows the last four characters of long secrets only', () => {
    expect(maskSecret('sk_live_1234567890')).toBe('****7890')
    expect(maskSecret('short')).toBe('****')
    expect(maskSecret('')).toBe('****')
  })
})

describe('maskHeaderValue', () => {
  it.each([
    ['X-Api-Key', 'key_0123456789abcdef', '****cdef'],
    ['X-Api-Key', 'short', '****'],
    // Authorization keeps its scheme, as bearer auth's log does; Basic is masked whole.
    ['Authorization', 'Bearer sk_live_0123456789abcdef', 'Bearer ****cdef'],
    ['authorization', 'Token abc', 'Token ****'],
    ['Authorization', `Basic ${Buffer.from('ada:lovelace-1815').toString('base64')}`, 'Basic ****'],
    ['Authorization', 'sk_live_0123456789abcdef', '****cdef'],
    ['Authorization', 'Bearer {{ tenant.metadata.token }}', 'Bearer ****n }}'],
    // Another header with a scheme-like value shows no more than its last four characters.
    ['X-Auth', 'Bearer sk_live_0123456789abcdef', '****cdef'],
    // Each signature keeps its version, so a rotation still shows two.
    ['webhook-signature', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=', 'v1,****pI4='],
    ['Webhook-Signature', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,AAAAfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/xyz=', 'v1,****pI4= v1,****xyz='],
  ])('shows %s: %s as %s', (name, value, shown) => {
    expect(maskHeaderValue(name, value)).toBe(shown)
  })
})

describe('maskCredentialHeaders', () => {
  it('masks credential-named values, leaves the others, and leaves values masked already as they are', () => {
    const sent = {
      authorization: 'Bearer sk_live_0123456789abcdef',
      'x-api-key': 'key_0123456789abcdef',
      'x-env': 'prod',
      'webhook-id': 'evt_1',
      'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    }
    const once = maskCredentialHeaders(sent)
    expect(once).toEqual({ authorization: 'Bearer ****cdef', 'x-api-key': '****cdef', 'x-env': 'prod', 'webhook-id': 'evt_1', 'webhook-signature': 'v1,****pI4=' })
    // A log read back is masked again without losing the hints.
    expect(maskCredentialHeaders(once)).toEqual(once)
    for (const masked of ['****', 'Basic ****', '****n }}', 'v1,****abc= v1,****xyz=']) expect(maskCredentialHeaders({ cookie: masked })).toEqual({ cookie: masked })
    // Something that merely contains the mask is not taken for one.
    expect(maskCredentialHeaders({ cookie: 'a=****0123456789' })).toEqual({ cookie: '****6789' })
  })
})
