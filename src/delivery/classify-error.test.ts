import { describe, expect, it } from 'vitest'
import { classifyError } from './sender.js'

const err = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code })

describe('classifyError', () => {
  it.each([
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'CERT_REVOKED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_TLS_HANDSHAKE_TIMEOUT',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'HOSTNAME_MISMATCH',
    'INVALID_CA',
    'EPROTO',
  ])('%s is a tls failure naming its code', (code) => {
    expect(classifyError(err(code, 'certificate trouble'), 1000)).toEqual({ kind: 'tls', message: `TLS: certificate trouble (${code})` })
  })

  it('finds the code under undici wrappers', () => {
    const wrapped = Object.assign(new Error('fetch failed'), { cause: err('CERT_HAS_EXPIRED', 'certificate has expired') })
    expect(classifyError(wrapped, 1000).kind).toBe('tls')
  })

  it.each([
    ['ECONNREFUSED', 'network'],
    ['ECONNRESET', 'network'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['HOOKRELAY_BLOCKED', 'blocked'],
  ])('%s is %s', (code, kind) => {
    expect(classifyError(err(code), 1000).kind).toBe(kind)
  })
})
