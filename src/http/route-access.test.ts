import { describe, expect, it } from 'vitest'
import type { Capability } from '../core/capabilities.js'
import type { Principal } from '../services/access.js'
import { decideAccess, type AccessQuestion } from './route-access.js'

const admin: Principal = { kind: 'admin' }
const key: Principal = { kind: 'tenant', tenantId: 't1', keyId: 'key_1' }
const portal = (capabilities: Capability[]): Principal => ({
  kind: 'portal',
  tenantId: 't1',
  session: { id: 'ps_1', tenantId: 't1', capabilities, theme: { title: null, primaryColor: null, logoUrl: null, mode: 'auto' }, expiresAt: 0, createdAt: 0 },
})
/** `null` stands for "none": a default parameter would take `undefined` for itself. */
const q = (method: string, access: AccessQuestion['access'] | 'admin', tenant: string | null = 't1', path: string | null = '/r'): AccessQuestion => {
  const tenantId = tenant ?? undefined
  const route = path ?? undefined
  return access === 'admin' ? { method, route, access: undefined, adminOnly: 'do this', tenantId } : { method, route, access, adminOnly: undefined, tenantId }
}

describe('decideAccess', () => {
  it.each<[string, Principal, AccessQuestion, true | string]>([
    ['the admin may do anything', admin, q('DELETE', 'admin', null), true],
    ['admin-only routes refuse a tenant key', key, q('POST', 'admin'), 'forbidden'],
    ['admin-only routes refuse a portal token', portal(['endpoints.write']), q('GET', 'admin'), 'forbidden'],
    ["'anyone' routes take any token", portal([]), q('GET', 'anyone', null), true],
    ['a tenant key writes under its tenant', key, q('POST', undefined), true],
    ["a tenant key holds every capability", key, q('GET', { capability: 'secrets.read' }), true],
    ['a tenant key is refused under another tenant', key, q('GET', undefined, 't2'), 'forbidden'],
    ['a tenant key is refused outside tenants', key, q('GET', undefined, null), 'forbidden'],
    ['a portal token reads its tenant', portal([]), q('GET', undefined), true],
    ['a portal token reads (HEAD)', portal([]), q('HEAD', undefined), true],
    ['a portal token may not write without a capability route', portal(['endpoints.write']), q('POST', undefined), 'forbidden'],
    ['a portal token lacking the capability', portal(['secrets.rotate']), q('GET', { capability: 'secrets.read' }), 'capability_missing'],
    ['a portal token holding the capability', portal(['secrets.read']), q('GET', { capability: 'secrets.read' }), true],
    ["a portal token without capabilities calls a 'read' POST", portal([]), q('POST', 'read'), true],
    ["a 'read' route refuses another tenant's portal token", portal([]), q('POST', 'read', 't2'), 'forbidden'],
    ["a 'read' route refuses another tenant's key", key, q('POST', 'read', 't2'), 'forbidden'],
    ['a portal token under another tenant', portal(['endpoints.write']), q('GET', undefined, 't2'), 'forbidden'],
    ['an unmatched path under its tenant is left to the 404', portal([]), q('POST', undefined, 't1', null), true],
  ])('%s', (_, p, question, expected) => {
    const a = decideAccess(p, question)
    expect(a.ok ? true : a.code).toBe(expected)
  })
})
