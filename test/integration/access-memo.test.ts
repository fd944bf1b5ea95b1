/**
 * services/access.ts remembers what an Authorization header resolved to (Access.known), so that a
 * request with a token seen lately costs no SHA-256 and no store read. What that must not change
 * (API.md "Auth", CLI `admin-token reset`, "Dashboard and portal"): a deleted key or a reset
 * admin token stops working at once in the process that made the change and within 10 s in the
 * others; a revoked portal session stops at once everywhere. Two Access instances over one store
 * stand for two processes: they share nothing but the store. Every dialect (test/contract/dialects.ts).
 */
import { expect, it } from 'vitest'
import { Access } from '../../src/services/access.js'
import type { Store } from '../../src/store/store.js'
import { contractDialects, describeDialect, useDialectStore } from '../contract/dialects.js'

const dialects = await contractDialects()

const T0 = 1_800_000_000_000
/** Access's CACHE_MS: how long another process may go on trusting what it remembered. */
const CACHE_MS = 10_000

const bearer = (token: string): string => `Bearer ${token}`

for (const dialect of dialects) {
  describeDialect(dialect, 'access: remembered tokens and revocation', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    /** Two processes' Access over the one store, on one clock the test moves. */
    function twoNodes(): { here: Access; there: Access; clock: { t: number } } {
      const clock = { t: T0 }
      return { here: new Access(store, () => clock.t), there: new Access(store, () => clock.t), clock }
    }

    it('remembers a key: the next request is known without the store, and resolves the same', async () => {
      const { here } = twoNodes()
      await here.init('admin-token')
      const { record, key } = await here.createApiKey('t1', 'ci')
      expect(here.known(bearer(key))).toBeUndefined()
      const who = { kind: 'tenant', tenantId: 't1', keyId: record.id }
      expect(await here.identify(bearer(key))).toEqual(who)
      expect(here.known(bearer(key))).toEqual(who)
      expect(here.known(bearer('admin-token'))).toBeUndefined()
      expect(await here.identify(bearer('admin-token'))).toEqual({ kind: 'admin' })
      expect(here.known(bearer('admin-token'))).toEqual({ kind: 'admin' })
      // A wrong token is remembered as nobody, and a near miss of a good one is still nobody.
      expect(await here.identify(bearer(`${key}x`))).toBeNull()
      expect(here.known(bearer(`${key}x`))).toBeNull()
      expect(await here.identify(bearer('admin-tokeN'))).toBeNull()
    })

    it('a remembered key stops at once where it is deleted, and within 10 s in another process', async () => {
      const { here, there, clock } = twoNodes()
      await here.init('admin-token')
      await there.init('admin-token')
      const { record, key } = await here.createApiKey('t1', 'ci')
      expect(await here.identify(bearer(key))).not.toBeNull()
      expect(await there.identify(bearer(key))).not.toBeNull()
      expect(there.known(bearer(key))).not.toBeUndefined()

      await here.deleteApiKey('t1', record.id)
      expect(here.known(bearer(key))).toBeUndefined()
      expect(await here.identify(bearer(key))).toBeNull()
      // The other process trusts what it remembered no longer than CACHE_MS.
      clock.t += CACHE_MS
      expect(there.known(bearer(key))).toBeUndefined()
      expect(await there.identify(bearer(key))).toBeNull()
    })

    it('a key deleted while its lookup is in flight is not remembered as valid', async () => {
      const { here } = twoNodes()
      await here.init('admin-token')
      const { record, key } = await here.createApiKey('t1', 'ci')
      const lookup = here.identify(bearer(key))
      await here.deleteApiKey('t1', record.id)
      await lookup
      expect(here.known(bearer(key))).toBeUndefined()
      expect(await here.identify(bearer(key))).toBeNull()
    })

    it('forget() (a tenant deleted) drops every remembered key', async () => {
      const { here } = twoNodes()
      await here.init('admin-token')
      const { key } = await here.createApiKey('t1', 'ci')
      expect(await here.identify(bearer(key))).not.toBeNull()
      await store.deleteTenant('t1')
      here.forget()
      expect(here.known(bearer(key))).toBeUndefined()
      expect(await here.identify(bearer(key))).toBeNull()
    })

    it('a reset admin token stops at once where it is reset, and within 10 s in another process', async () => {
      const { here, there, clock } = twoNodes()
      // No HOOKRELAY_ADMIN_TOKEN: the token is generated and its hash stored, as `serve` does.
      const old = (await here.init(null))!
      expect(old).toMatch(/^hr_admin_/)
      expect(await there.init(null)).toBeNull()
      for (const node of [here, there]) {
        expect(await node.identify(bearer(old))).toEqual({ kind: 'admin' })
        expect(node.known(bearer(old))).toEqual({ kind: 'admin' })
      }

      const fresh = await here.reset()
      expect(here.known(bearer(old))).toBeUndefined()
      expect(await here.identify(bearer(old))).toBeNull()
      expect(await here.identify(bearer(fresh))).toEqual({ kind: 'admin' })

      clock.t += CACHE_MS
      expect(there.known(bearer(old))).toBeUndefined()
      expect(await there.identify(bearer(old))).toBeNull()
      expect(await there.identify(bearer(fresh))).toEqual({ kind: 'admin' })
      // What it remembered before it read the new hash is gone, not only stale.
      expect(there.known(bearer(old))).toBeNull()
    })

    it('a portal token is never remembered: a revoked session stops at once in every process', async () => {
      const { here, there } = twoNodes()
      await here.init('admin-token')
      const { session, token } = await here.createPortalSession('t1', { expiresInSeconds: 3600, capabilities: [], theme: { title: null, primaryColor: null, logoUrl: null, mode: 'auto' } })
      for (const node of [here, there]) {
        expect(await node.identify(bearer(token))).toMatchObject({ kind: 'portal', tenantId: 't1' })
        expect(node.known(bearer(token))).toBeUndefined()
      }
      await here.revokePortalSession('t1', session.id)
      for (const node of [here, there]) expect(await node.identify(bearer(token))).toMatchObject({ kind: 'refused' })
    })
  })
}
