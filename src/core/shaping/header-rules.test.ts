import { describe, expect, it } from 'vitest'
import { headerNameProblem, headerValueProblem } from './header-rules.js'

describe('header rules', () => {
  it.each(['X-Env', 'DD-API-KEY', 'Authorization', 'Content-Type', 'User-Agent', 'x_custom.1'])('allows %s', (name) => {
    expect(headerNameProblem(name)).toBeNull()
  })

  it.each(['Host', 'content-length', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'Upgrade', 'TE', 'Trailer', 'Expect', 'Proxy-Authorization', 'webhook-signature', 'Webhook-Id', 'WEBHOOK-TIMESTAMP'])(
    'refuses %s',
    (name) => {
      expect(headerNameProblem(name)).not.toBeNull()
    },
  )

  it.each(['', 'two words', 'colon:', 'nl\n', 'é'])('refuses the malformed name %j', (name) => {
    expect(headerNameProblem(name)).toBe('is not a valid header name')
  })

  it('refuses values that would split the header', () => {
    expect(headerValueProblem('ok value; with=stuff')).toBeNull()
    for (const v of ['a\r\nX-Injected: 1', 'a\nb', 'a\0b']) expect(headerValueProblem(v)).not.toBeNull()
  })

  it('allows Latin-1, refuses what Node cannot send', () => {
    expect(headerValueProblem('Zürich\tcafé')).toBeNull()
    for (const v of ['done ✓', 'tøken-✓', 'bell\x07', 'del\x7f']) expect(headerValueProblem(v), JSON.stringify(v)).not.toBeNull()
  })
})
