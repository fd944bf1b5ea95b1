/**
 * API.md "Dashboard and portal" and "Tenants and keys": portal sessions (admin only), their tokens'
 * reach (one tenant, reads, and each capability enforced by the server), revocation and expiry,
 * whoami, and tenant tokens reading the event-type catalog. On both stores (a second node seeing a
 * revocation at once is in console.postgres.test.ts).
 * Network rule: the only traffic is to the servers and the receiver on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { rawSql } from '../helpers/raw-sql.js'
import { DELIVERY_WAIT_MS, expectInvalid, expectList, expectProblem, ISO, useApiServer } from './api-support.js'

const ALL = ['endpoints.write', 'secrets.read', 'secrets.rotate', 'deliveries.retry']

describe('portal sessions', () => {
  const ctx = useApiServer()
  let rcv: Receiver
  let tenantKey: string
  let epA: string
  let dlvA: string
  let epB: string

  const session = async (body: unknown = {}, tenant = 'pt-a') => {
    const res = await ctx.srv.api('POST', `/v1/tenants/${tenant}/portal-sessions`, body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body as { id: string; token: string; url: string; expiresAt: string; capabilities: string[]; theme: Record<string, unknown> }
  }

  beforeAll(async () => {
    rcv = await startReceiver()
    const { srv } = ctx
    expect((await srv.api('POST', '/v1/tenants', { id: 'pt-a', name: 'Portal A' })).status).toBe(201)
    expect((await srv.api('POST', '/v1/tenants', { id: 'pt-b', name: 'Portal B' })).status).toBe(201)
    tenantKey = (await srv.api('POST', '/v1/tenants/pt-a/api-keys', { name: 'k' })).body.key
    epA = (await srv.api('POST', '/v1/tenants/pt-a/endpoints', { url: `${rcv.url}/a` })).body.id
    epB = (await srv.api('POST', '/v1/tenants/pt-b/endpoints', { url: `${rcv.url}/b` })).body.id
    const pub = await srv.api('POST', '/v1/tenants/pt-a/events', { type: 'order.paid', payload: { n: 1 } })
    expect(pub.status).toBe(202)
    await rcv.waitForHits(1, DELIVERY_WAIT_MS)
    dlvA = expectList(await srv.api('GET', `/v1/tenants/pt-a/deliveries?eventId=${pub.body.id}`))[0].id
  })
  afterAll(async () => {
    await rcv?.close()
  })

  it('creates a session with the defaults: an hour, every capability, the auto theme, a link with the token in the fragment', async () => {
    const before = Date.now()
    const s = await session()
    expect(s).toEqual({
      id: expect.stringMatching(/^ps_/),
      tenantId: 'pt-a',
      url: `${ctx.srv.url}/portal#token=${s.token}`,
      token: expect.stringMatching(/^hrp_[A-Za-z0-9_-]{32}$/),
      expiresAt: expect.stringMatching(ISO),
      capabilities: ALL,
      theme: { title: null, primaryColor: null, logoUrl: null, mode: 'auto' },
      createdAt: expect.stringMatching(ISO),
    })
    const ttl = Date.parse(s.expiresAt) - before
    expect(ttl).toBeGreaterThanOrEqual(3600_000 - 1000)
    expect(ttl).toBeLessThanOrEqual(3600_000 + 5000)
  })

  it('keeps the expiry, capabilities and theme asked for, and lists live sessions without their tokens', async () => {
    const theme = { title: 'Acme webhooks', primaryColor: '#12ab9F', logoUrl: 'https://cdn.example/logo.png', mode: 'dark' }
    const s = await session({ expiresInSeconds: 604800, capabilities: ['secrets.read'], theme })
    expect(s.capabilities).toEqual(['secrets.read'])
    expect(s.theme).toEqual(theme)
    expect(Date.parse(s.expiresAt) - Date.now()).toBeGreaterThan(604800_000 - 10_000)
    const listed = expectList(await ctx.srv.api('GET', '/v1/tenants/pt-a/portal-sessions')).find((x) => x.id === s.id)
    expect(listed).toEqual({ id: s.id, tenantId: 'pt-a', expiresAt: s.expiresAt, capabilities: ['secrets.read'], theme, createdAt: expect.stringMatching(ISO) })
    // Another tenant's list does not show it.
    expect(expectList(await ctx.srv.api('GET', '/v1/tenants/pt-b/portal-sessions')).map((x) => x.id)).not.toContain(s.id)
  })

  it('refuses bad settings with 422 naming the field', async () => {
    const url = '/v1/tenants/pt-a/portal-sessions'
    expectInvalid(await ctx.srv.api('POST', url, { expiresInSeconds: 59 }), '/expiresInSeconds')
    expectInvalid(await ctx.srv.api('POST', url, { expiresInSeconds: 604801 }), '/expiresInSeconds')
    expectInvalid(await ctx.srv.api('POST', url, { capabilities: ['endpoints.read'] }), '/capabilities/0')
    expectInvalid(await ctx.srv.api('POST', url, { theme: { primaryColor: 'red' } }), '/theme/primaryColor')
    expectInvalid(await ctx.srv.api('POST', url, { theme: { mode: 'sepia' } }), '/theme/mode')
    expectInvalid(await ctx.srv.api('POST', url, { theme: { logoUrl: 'javascript:alert(1)' } }), '/theme/logoUrl')
    expectInvalid(await ctx.srv.api('POST', url, { theme: { font: 'Comic Sans' } }), '/theme/font')
    expectInvalid(await ctx.srv.api('POST', url, { scope: 'all' }), '/scope')
    expectProblem(await ctx.srv.api('POST', '/v1/tenants/pt-nobody/portal-sessions', {}), 404, 'not_found')
    expectProblem(await ctx.srv.api('GET', '/v1/tenants/pt-nobody/portal-sessions'), 404, 'not_found')
  })

  it('only the admin token manages portal sessions and API keys: tenant keys and portal tokens get 403', async () => {
    const s = await session()
    for (const token of [tenantKey, s.token]) {
      for (const [method, path, body] of [
        ['POST', '/v1/tenants/pt-a/portal-sessions', {}],
        ['GET', '/v1/tenants/pt-a/portal-sessions', undefined],
        ['DELETE', `/v1/tenants/pt-a/portal-sessions/${s.id}`, undefined],
        ['POST', '/v1/tenants/pt-a/api-keys', { name: 'more' }],
        ['GET', '/v1/tenants/pt-a/api-keys', undefined],
        ['DELETE', '/v1/tenants/pt-a/api-keys/key_x', undefined],
        ['DELETE', '/v1/tenants/pt-a', undefined],
      ] as const) {
        const res = await ctx.srv.api(method, path, body, { token })
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 })
        expectProblem(res, 403, 'forbidden')
      }
    }
    // The session still works: nothing above revoked it.
    expect((await ctx.srv.api('GET', '/v1/tenants/pt-a', undefined, { token: s.token })).status).toBe(200)
  })

  it('whoami tells each token apart; a portal token also gets its session, expiry and theme', async () => {
    expect((await ctx.srv.api('GET', '/v1/whoami')).body).toEqual({ kind: 'admin', tenantId: null, capabilities: ALL })
    expect((await ctx.srv.api('GET', '/v1/whoami', undefined, { token: tenantKey })).body).toEqual({ kind: 'tenant', tenantId: 'pt-a', capabilities: ALL })
    const theme = { title: 'Acme', primaryColor: '#000000', logoUrl: null, mode: 'light' }
    const s = await session({ capabilities: ['deliveries.retry'], theme: { title: 'Acme', primaryColor: '#000000', mode: 'light' } })
    const me = await ctx.srv.api('GET', '/v1/whoami', undefined, { token: s.token })
    expect(me.status).toBe(200)
    expect(me.body).toEqual({ kind: 'portal', tenantId: 'pt-a', capabilities: ['deliveries.retry'], sessionId: s.id, expiresAt: s.expiresAt, theme })
    const anon = await ctx.srv.api('GET', '/v1/whoami', undefined, { token: null })
    expectProblem(anon, 401, 'unauthorized')
  })

  it("a portal token reads its own tenant's resources and the event-type catalog, and nothing of another tenant", async () => {
    const { token } = await session({ capabilities: [] })
    const ok = [
      '/v1/tenants/pt-a',
      '/v1/tenants/pt-a/endpoints',
      `/v1/tenants/pt-a/endpoints/${epA}`,
      `/v1/tenants/pt-a/endpoints/${epA}/stats`,
      '/v1/tenants/pt-a/events',
      '/v1/tenants/pt-a/deliveries',
      `/v1/tenants/pt-a/deliveries/${dlvA}`,
      '/v1/tenants/pt-a/sources',
      '/v1/tenants/pt-a/routes',
      '/v1/event-types',
      '/v1/event-types/webhook.test',
    ]
    for (const path of ok) {
      const res = await ctx.srv.api('GET', path, undefined, { token })
      expect({ path, status: res.status }).toEqual({ path, status: 200 })
    }
    const refused: Array<[string, string, unknown?]> = [
      ['GET', '/v1/tenants'],
      ['GET', '/v1/tenants/pt-b'],
      ['GET', '/v1/tenants/pt-b/endpoints'],
      ['GET', `/v1/tenants/pt-b/endpoints/${epB}`],
      // Writes outside the capabilities: publishing, the tenant, sources, routes, the catalog.
      ['POST', '/v1/tenants/pt-a/events', { type: 'order.paid', payload: {} }],
      ['PATCH', '/v1/tenants/pt-a', { name: 'renamed' }],
      ['POST', '/v1/tenants/pt-a/sources', { name: 's', verification: { type: 'none' } }],
      ['POST', '/v1/tenants/pt-a/routes', { name: 'r', upstreamUrl: `${rcv.url}/up` }],
      ['POST', '/v1/event-types', { name: 'portal.made' }],
      ['PATCH', '/v1/event-types/webhook.test', { description: 'x' }],
      ['DELETE', '/v1/event-types/order.paid'],
    ]
    for (const [method, path, body] of refused) {
      const res = await ctx.srv.api(method, path, body, { token })
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 })
      expectProblem(res, 403, 'forbidden')
    }
    expect((await ctx.srv.api('GET', '/v1/tenants/pt-a')).body.name).toBe('Portal A')
    expect(expectList(await ctx.srv.api('GET', '/v1/tenants/pt-a/events?type=order.paid'))).toHaveLength(1)
  })

  it('a read-only portal token gets 403 capability_missing on every action a capability guards, and nothing changes', async () => {
    const { token } = await session({ capabilities: [] })
    const guarded: Array<[string, string, string, unknown?]> = [
      ['endpoints.write', 'POST', '/v1/tenants/pt-a/endpoints', { url: `${rcv.url}/new` }],
      ['endpoints.write', 'PATCH', `/v1/tenants/pt-a/endpoints/${epA}`, { enabled: false }],
      ['endpoints.write', 'DELETE', `/v1/tenants/pt-a/endpoints/${epA}`],
      ['secrets.read', 'GET', `/v1/tenants/pt-a/endpoints/${epA}/secret`],
      ['secrets.rotate', 'POST', `/v1/tenants/pt-a/endpoints/${epA}/secret/rotate`, {}],
      ['deliveries.retry', 'POST', `/v1/tenants/pt-a/endpoints/${epA}/test`, {}],
      ['deliveries.retry', 'POST', `/v1/tenants/pt-a/endpoints/${epA}/recover`, { since: new Date(0).toISOString() }],
      ['deliveries.retry', 'POST', `/v1/tenants/pt-a/deliveries/${dlvA}/retry`],
    ]
    const hits = rcv.hits.length
    const secret = (await ctx.srv.api('GET', `/v1/tenants/pt-a/endpoints/${epA}/secret`)).body.secret
    for (const [capability, method, path, body] of guarded) {
      const res = await ctx.srv.api(method, path, body, { token })
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 })
      expectProblem(res, 403, 'capability_missing')
      expect(res.body.detail).toContain(capability)
    }
    const ep = await ctx.srv.api('GET', `/v1/tenants/pt-a/endpoints/${epA}`)
    expect(ep.body.enabled).toBe(true)
    expect((await ctx.srv.api('GET', `/v1/tenants/pt-a/endpoints/${epA}/secret`)).body.secret).toBe(secret)
    expect(expectList(await ctx.srv.api('GET', '/v1/tenants/pt-a/endpoints'))).toHaveLength(1)
    expect(rcv.hits.length).toBe(hits)
  })

  it('each capability opens exactly its own actions', async () => {
    const write = (await session({ capabilities: ['endpoints.write'] })).token
    const created = await ctx.srv.api('POST', '/v1/tenants/pt-a/endpoints', { url: `${rcv.url}/w`, enabled: false }, { token: write })
    expect(created.status).toBe(201)
    expect((await ctx.srv.api('PATCH', `/v1/tenants/pt-a/endpoints/${created.body.id}`, { name: 'by portal' }, { token: write })).body.name).toBe('by portal')
    expectProblem(await ctx.srv.api('GET', `/v1/tenants/pt-a/endpoints/${created.body.id}/secret`, undefined, { token: write }), 403, 'capability_missing')
    expect((await ctx.srv.api('DELETE', `/v1/tenants/pt-a/endpoints/${created.body.id}`, undefined, { token: write })).status).toBe(204)

    const read = (await session({ capabilities: ['secrets.read'] })).token
    const shown = await ctx.srv.api('GET', `/v1/tenants/pt-a/endpoints/${epA}/secret`, undefined, { token: read })
    expect(shown.body.secret).toMatch(/^whsec_/)
    expectProblem(await ctx.srv.api('POST', `/v1/tenants/pt-a/endpoints/${epA}/secret/rotate`, {}, { token: read }), 403, 'capability_missing')

    const rotate = (await session({ capabilities: ['secrets.rotate'] })).token
    const rotated = await ctx.srv.api('POST', `/v1/tenants/pt-a/endpoints/${epA}/secret/rotate`, {}, { token: rotate })
    expect(rotated.status).toBe(200)
    expect(rotated.body.secret).not.toBe(shown.body.secret)

    const retry = (await session({ capabilities: ['deliveries.retry'] })).token
    const hits = rcv.hits.length
    expect((await ctx.srv.api('POST', `/v1/tenants/pt-a/deliveries/${dlvA}/retry`, undefined, { token: retry })).status).toBe(202)
    const test = await ctx.srv.api('POST', `/v1/tenants/pt-a/endpoints/${epA}/test`, {}, { token: retry })
    expect(test.status).toBe(200)
    expect(test.body.success).toBe(true)
    expect((await ctx.srv.api('POST', `/v1/tenants/pt-a/endpoints/${epA}/recover`, { since: new Date(0).toISOString() }, { token: retry })).status).toBe(202)
    await rcv.waitForHits(hits + 2, DELIVERY_WAIT_MS)
    expectProblem(await ctx.srv.api('PATCH', `/v1/tenants/pt-a/endpoints/${epA}`, { name: 'x' }, { token: retry }), 403, 'capability_missing')
  })

  it('a revoked session is refused at once with 401, and leaves the list', async () => {
    const s = await session()
    expect((await ctx.srv.api('GET', '/v1/tenants/pt-a/endpoints', undefined, { token: s.token })).status).toBe(200)
    expect((await ctx.srv.api('DELETE', `/v1/tenants/pt-a/portal-sessions/${s.id}`)).status).toBe(204)
    const res = await ctx.srv.api('GET', '/v1/tenants/pt-a/endpoints', undefined, { token: s.token })
    expectProblem(res, 401, 'unauthorized')
    expect(res.body.detail).toMatch(/revoked/)
    expect(expectList(await ctx.srv.api('GET', '/v1/tenants/pt-a/portal-sessions')).map((x) => x.id)).not.toContain(s.id)
    expectProblem(await ctx.srv.api('DELETE', `/v1/tenants/pt-a/portal-sessions/${s.id}`), 404, 'not_found')
    // Under another tenant's path the id is unknown.
    const other = await session()
    expectProblem(await ctx.srv.api('DELETE', `/v1/tenants/pt-b/portal-sessions/${other.id}`), 404, 'not_found')
    expect((await ctx.srv.api('GET', '/v1/whoami', undefined, { token: other.token })).status).toBe(200)
  })

  it('a session past its expiresAt is refused with 401 saying it expired', async () => {
    const s = await session({ expiresInSeconds: 60 })
    expect((await ctx.srv.api('GET', '/v1/whoami', undefined, { token: s.token })).status).toBe(200)
    await rawSql(ctx.srv, 'UPDATE portal_sessions SET expires_at = ? WHERE id = ?', [Date.now() - 1, s.id])
    const res = await ctx.srv.api('GET', '/v1/tenants/pt-a/endpoints', undefined, { token: s.token })
    expectProblem(res, 401, 'unauthorized')
    expect(res.body.detail).toMatch(/expired/)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(expectList(await ctx.srv.api('GET', '/v1/tenants/pt-a/portal-sessions')).map((x) => x.id)).not.toContain(s.id)
  })

  it("deleting the tenant ends its sessions", async () => {
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'pt-gone', name: 'Gone' })).status).toBe(201)
    const s = await session({}, 'pt-gone')
    expect((await ctx.srv.api('DELETE', '/v1/tenants/pt-gone')).status).toBe(204)
    expectProblem(await ctx.srv.api('GET', '/v1/whoami', undefined, { token: s.token }), 401, 'unauthorized')
  })

  it('a tenant API key reads the event-type catalog but cannot change it', async () => {
    const token = tenantKey
    expect(expectList(await ctx.srv.api('GET', '/v1/event-types', undefined, { token })).map((t) => t.name)).toContain('webhook.test')
    expect((await ctx.srv.api('GET', '/v1/event-types/webhook.test', undefined, { token })).body.name).toBe('webhook.test')
    expectProblem(await ctx.srv.api('POST', '/v1/event-types', { name: 'by.key' }, { token }), 403, 'forbidden')
    expectProblem(await ctx.srv.api('PATCH', '/v1/event-types/webhook.test', { description: 'x' }, { token }), 403, 'forbidden')
    expectProblem(await ctx.srv.api('DELETE', '/v1/event-types/webhook.test', undefined, { token }), 403, 'forbidden')
    expectProblem(await ctx.srv.api('GET', '/v1/event-types/by.key'), 404, 'not_found')
  })
})
