import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, documentHeaders } from './security-headers.js'

const directives = (csp: string) => Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]))

describe('the web console security headers', () => {
  it('allow scripts and styles only from this origin, with nothing inline or evaluated', () => {
    for (const face of ['dashboard', 'portal'] as const) {
      const d = directives(contentSecurityPolicy(face, ['https://app.example.com']))
      expect(d['default-src']).toBe("'self'")
      expect(d['script-src']).toBe("'self'")
      expect(d['style-src']).toBe("'self'")
      expect(d['connect-src']).toBe("'self'")
      expect(d['object-src']).toBe("'none'")
      expect(contentSecurityPolicy(face, [])).not.toMatch(/unsafe-inline|unsafe-eval|nonce-/)
    }
  })

  it('refuse every frame for the dashboard, whatever the portal origins', () => {
    expect(directives(contentSecurityPolicy('dashboard', ['https://app.example.com']))['frame-ancestors']).toBe("'none'")
    expect(documentHeaders('dashboard', ['https://app.example.com'])['x-frame-options']).toBe('DENY')
  })

  it('let the portal be framed by this origin and the configured origins only', () => {
    expect(directives(contentSecurityPolicy('portal', []))['frame-ancestors']).toBe("'self'")
    expect(directives(contentSecurityPolicy('portal', ['https://a.example.com', 'http://localhost:3000']))['frame-ancestors']).toBe(
      "'self' https://a.example.com http://localhost:3000",
    )
    expect(documentHeaders('portal', ['https://a.example.com'])['x-frame-options']).toBeUndefined()
  })

  it('keep documents revalidated and unsniffed', () => {
    expect(documentHeaders('portal', [])).toMatchObject({ 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' })
  })
})
