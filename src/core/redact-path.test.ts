import { describe, expect, it } from 'vitest'
import { isCredentialName, redactPath } from './redact-path.js'

describe('redactPath', () => {
  it('replaces the values of credential-looking query parameters and keeps everything else as it came', () => {
    expect(redactPath('/in/src_1?token=supersecret')).toBe('/in/src_1?token=[redacted]')
    expect(redactPath('/in/src_1?a=1&API_KEY=k%20v&b=x%2By&Signature=abc&sig=')).toBe('/in/src_1?a=1&API_KEY=[redacted]&b=x%2By&Signature=[redacted]&sig=[redacted]')
    expect(redactPath('/in/src_1/track?access%5Ftoken=t&event=signup')).toBe('/in/src_1/track?access%5Ftoken=[redacted]&event=signup')
    expect(redactPath('/in/src_1')).toBe('/in/src_1')
    expect(redactPath('/in/src_1?')).toBe('/in/src_1?')
    expect(redactPath('/in/src_1?flag&&page=2&token')).toBe('/in/src_1?flag&&page=2&token')
  })
})

describe('isCredentialName', () => {
  it('knows credential names in any case and with any separators', () => {
    for (const name of ['token', 'Token', 'access_token', 'accessToken', 'refresh-token', 'key', 'KEY', 'api_key', 'apikey', 'x-api-key', 'secret', 'client_secret', 'signature', 'sig', 'hub.sig', 'password', 'passwd', 'pwd', 'pass', 'auth', 'Authorization', 'oauth_token', 'session_id', 'jwt', 'hmac', 'private_key', 'credentials', 'AWSAccessKeyId', 'bad%zzkey']) {
      expect(isCredentialName(name), name).toBe(true)
    }
  })

  it('leaves other names alone', () => {
    for (const name of ['id', 'page', 'event', 'user', 'source', 'type', 'limit', 'cursor', 'keyword', 'signup', 'design']) expect(isCredentialName(name), name).toBe(false)
  })
})
