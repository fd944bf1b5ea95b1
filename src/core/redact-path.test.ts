import { describe, expect, it } from 'vitest'
import { redactPath } from './redact-path.js'

describe('redactPath', () => {
  it('replaces the values of credential-looking query parameters and keeps everything else as it came', () => {
    expect(redactPath('/in/src_1?token=supersecret')).toBe('/in/src_1?token=[redacted]')
    expect(redactPath('/in/src_1?a=1&API_KEY=k%20v&b=x%2By&Signature=abc&sig=')).toBe('/in/src_1?a=1&API_KEY=[redacted]&b=x%2By&Signature=[redacted]&sig=[redacted]')
    expect(redactPath('/in/src_1/track?access%5Ftoken=t&event=signup')).toBe('/in/src_1/track?access%5Ftoken=[redacted]&event=signup')
    expect(redactPath('/in/src_1')).toBe('/in/src_1')
    expect(redactPath('/in/src_1?')).toBe('/in/src_1?')
    expect(redactPath('/in/src_1?flag&&page=2&token')).toBe('/in/src_1?flag&&page=2&token')
  })

  it('judges names by the one rule headers use (x-api-token, cookie), decoded, or as they came when malformed', () => {
    expect(redactPath('/in/src_1?x-api-token=t&Cookie=c&keyword=k')).toBe('/in/src_1?x-api-token=[redacted]&Cookie=[redacted]&keyword=k')
    expect(redactPath('/in/src_1?bad%zzkey=v&x+api+key=w')).toBe('/in/src_1?bad%zzkey=[redacted]&x+api+key=[redacted]')
  })
})
