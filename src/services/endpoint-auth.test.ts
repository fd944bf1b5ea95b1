import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { createSecretBox } from '../core/secret-box.js'
import { presentAuth, resolveAuth } from './endpoint-auth.js'

const box = createSecretBox(randomBytes(32))

describe('resolveAuth', () => {
  it('seals credentials and keeps a hint; shows only the hint', () => {
    const r = resolveAuth({ type: 'bearer', token: 'tok_abcdefghijklmnop' }, null, box)
    if (!r.ok) throw new Error('refused')
    expect(r.plain).toEqual({ type: 'bearer', token: 'tok_abcdefghijklmnop' })
    expect(JSON.stringify(r.auth)).not.toContain('tok_abcdefghijklmnop')
    expect(presentAuth(r.auth)).toEqual({ type: 'bearer', token: '****mnop' })
  })

  it.each([
    [{ type: 'bearer' }, ['/auth/token']],
    [{ type: 'bearer', token: '' }, ['/auth/token']],
    [{ type: 'basic', username: 'u' }, ['/auth/password']],
    [{ type: 'basic', password: 'p' }, ['/auth/username']],
    [{ type: 'basic', username: 'a:b', password: 'p' }, ['/auth/username']],
    [{ type: 'header', value: 'v' }, ['/auth/name']],
    [{ type: 'header', name: 'X-K' }, ['/auth/value']],
    [{ type: 'none', token: 't' }, ['/auth/token']],
    [{ type: 'bearer', token: 't', username: 'u' }, ['/auth/username']],
  ] as const)('refuses incomplete or mixed auth %j', (input, paths) => {
    const r = resolveAuth(input, null, box)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(paths)
  })

  it('keeps the stored credential when it is left out or sent back as its hint', () => {
    const first = resolveAuth({ type: 'basic', username: 'ada', password: 'correct horse battery' }, null, box)
    if (!first.ok) throw new Error('refused')
    const shown = presentAuth(first.auth)
    for (const input of [shown, { type: 'basic' as const, username: 'grace' }]) {
      const again = resolveAuth(input, first.auth, box)
      if (!again.ok) throw new Error('refused')
      expect(again.plain).toMatchObject({ type: 'basic', password: 'correct horse battery' })
    }
    const changed = resolveAuth({ type: 'basic', username: 'ada', password: 'new one' }, first.auth, box)
    expect(changed.ok && changed.plain).toEqual({ type: 'basic', username: 'ada', password: 'new one' })
  })

  it('needs the credential again when the type changes', () => {
    const first = resolveAuth({ type: 'bearer', token: 'tok_abcdefghijklmnop' }, null, box)
    if (!first.ok) throw new Error('refused')
    expect(resolveAuth({ type: 'header', name: 'X-K' }, first.auth, box).ok).toBe(false)
  })
})
