/**
 * A tenant's allowedNetworks (API.md, "Tenants and keys"): admin-only, shown on the tenant, and in
 * place of HOOKRELAY_ALLOWED_NETWORKS for its endpoints (at creation and at delivery), their
 * Liquid-rendered URLs and its gateway routes. Network rule: every receiver and upstream listens on
 * 127.0.0.1 or [::1]; the refusals are checked by what reached them: nothing.
 */
import { describe, expect, it } from 'vitest'
import { sleep, useFixture, type Fixture } from '../helpers/fixture.js'
import type { Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { expectInvalid, expectProblem } from './api-support.js'

/** Publishes one event and waits for its one delivery to settle; returns the delivery with its attempts. */
async function deliverOne(f: Fixture, tenantId: string): Promise<any> {
  const pub = await f.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type: 'net.probe', payload: { at: Date.now() } })
  expect(pub.status).toBe(202)
  expect(pub.body.deliveryCount).toBe(1)
  const list = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${pub.body.id}`)
  const id: string = list.body.data[0].id
  return eventually(async () => {
    const d = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${id}`)
    return d.body.status !== 'pending' ? d.body : null
  }, 10_000)
}

/** The delivery failed at once with kind `blocked`, without retrying (it would be blocked every time). */
function expectBlocked(d: any, address: string): void {
  expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
  expect(d.attempts[0]).toMatchObject({ success: false, response: null, error: { kind: 'blocked' } })
  expect(d.attempts[0].error.message).toContain(address)
}

/** Nothing more reaches `rcv` for a while after a refusal: no connection, no request. */
async function expectNothingReached(rcv: Receiver, connections: number, hits: number): Promise<void> {
  await sleep(300)
  expect(rcv.connections).toBe(connections)
  expect(rcv.hits).toHaveLength(hits)
}

async function tenantKey(f: Fixture, tenantId: string): Promise<string> {
  const key = await f.srv.api('POST', `/v1/tenants/${tenantId}/api-keys`, { name: 'k' })
  expect(key.status).toBe(201)
  return key.body.key
}

describe('tenant allowedNetworks, with no server-wide allowed networks', () => {
  const f = useFixture('tn-none', { allowedNetworks: [] })

  it("a tenant with 127.0.0.1/32 of its own may create a loopback endpoint, and it is delivered", async () => {
    const rcv = await f.receiver()
    const res = await f.srv.api('POST', '/v1/tenants', { id: 'own-net', name: 'Own', allowedNetworks: ['127.0.0.1/32'] })
    expect(res.status).toBe(201)
    expect(res.body.allowedNetworks).toEqual(['127.0.0.1/32'])
    await f.endpoint('own-net', { url: `${rcv.url}/hook` })
    const d = await deliverOne(f, 'own-net')
    expect(d.status).toBe('succeeded')
    expect(rcv.hits).toHaveLength(1)
  })

  it('a tenant without a list (null) is held to the server-wide setting: none, so 422 for endpoints and routes', async () => {
    const rcv = await f.receiver()
    const tenant = await f.tenant()
    expect((await f.srv.api('GET', `/v1/tenants/${tenant}`)).body.allowedNetworks).toBeNull()
    expectInvalid(await f.srv.api('POST', `/v1/tenants/${tenant}/endpoints`, { url: `${rcv.url}/hook` }), '/url', 'url_not_allowed')
    expectInvalid(await f.srv.api('POST', `/v1/tenants/${tenant}/routes`, { name: 'r', upstreamUrl: rcv.url }), '/upstreamUrl', 'url_not_allowed')
    // Given the network, the same requests pass; taken away again (null), they are refused again.
    expect((await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: ['127.0.0.0/8'] })).body.allowedNetworks).toEqual(['127.0.0.0/8'])
    expect((await f.srv.api('POST', `/v1/tenants/${tenant}/routes`, { name: 'r', upstreamUrl: rcv.url })).status).toBe(201)
    await f.endpoint(tenant, { url: `${rcv.url}/hook` })
    expect((await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: null })).body.allowedNetworks).toBeNull()
    expectInvalid(await f.srv.api('POST', `/v1/tenants/${tenant}/endpoints`, { url: `${rcv.url}/hook` }), '/url', 'url_not_allowed')
    expect(rcv.connections).toBe(0)
  })

  it('only the admin token sets allowedNetworks: a tenant key is 403 forbidden on POST and PATCH, whatever the value, and reads the field', async () => {
    const tenant = await f.tenant()
    expect((await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: ['10.9.0.0/16'] })).status).toBe(200)
    const key = await tenantKey(f, tenant)
    for (const value of [['127.0.0.0/8'], null, [], 'nonsense']) {
      expectProblem(await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: value }, { token: key }), 403, 'forbidden')
      expectProblem(await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { name: 'renamed', allowedNetworks: value }, { token: key }), 403, 'forbidden')
      expectProblem(await f.srv.api('POST', '/v1/tenants', { name: 'mine', allowedNetworks: value }, { token: key }), 403, 'forbidden')
    }
    const mine = await f.srv.api('GET', `/v1/tenants/${tenant}`, undefined, { token: key })
    expect(mine.status).toBe(200)
    expect(mine.body).toMatchObject({ id: tenant, name: tenant, allowedNetworks: ['10.9.0.0/16'] })
    // What a tenant key may change it still may, and the networks stay as the admin set them.
    const renamed = await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { name: 'renamed' }, { token: key })
    expect(renamed.status).toBe(200)
    expect(renamed.body.allowedNetworks).toEqual(['10.9.0.0/16'])
    // A portal token is refused as well.
    const portal = await f.srv.api('POST', `/v1/tenants/${tenant}/portal-sessions`, {})
    expect(portal.status).toBe(201)
    expect((await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: [] }, { token: portal.body.token })).status).toBe(403)
  })

  it('422 with a path per bad entry, over 100 entries, or not a list; IPv4 and IPv6 CIDRs are kept as given', async () => {
    const tenant = await f.tenant()
    const bad = await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: ['10.0.0.0/8', 'intranet', '10.0.0.0/40', 'fd00::/200'] })
    expectInvalid(bad, '/allowedNetworks/1')
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['/allowedNetworks/1', '/allowedNetworks/2', '/allowedNetworks/3'])
    expectInvalid(await f.srv.api('POST', '/v1/tenants', { name: 'bad', allowedNetworks: ['127.0.0.1/32', '::1/abc'] }), '/allowedNetworks/1')
    expectInvalid(await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: Array.from({ length: 101 }, (_, i) => `10.${i}.0.0/16`) }), '/allowedNetworks')
    for (const value of ['10.0.0.0/8', [1], {}]) {
      const res = await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: value })
      expectProblem(res, 422, 'validation_failed')
      expect(res.body.errors.some((e: { path: string }) => e.path.startsWith('/allowedNetworks'))).toBe(true)
    }
    expect((await f.srv.api('GET', `/v1/tenants/${tenant}`)).body.allowedNetworks).toBeNull()
    const hundred = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `10.${i}.0.0/16` : `fd00:${i.toString(16)}::/32`))
    const ok = await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: hundred })
    expect(ok.status).toBe(200)
    expect(ok.body.allowedNetworks).toEqual(hundred)
    expect((await f.srv.api('GET', '/v1/tenants?limit=250')).body.data.find((t: { id: string }) => t.id === tenant).allowedNetworks).toEqual(hundred)
  })
})

describe('tenant allowedNetworks, with the server-wide setting allowing loopback (127.0.0.0/8, ::1/128)', () => {
  const f = useFixture('tn-wide')

  it('a tenant without a list (null) uses the server-wide setting: created and delivered', async () => {
    const rcv = await f.receiver()
    const tenant = await f.tenant()
    await f.endpoint(tenant, { url: `${rcv.url}/hook` })
    expect((await deliverOne(f, tenant)).status).toBe('succeeded')
    expect(rcv.hits).toHaveLength(1)
  })

  it('[] refuses loopback although the server allows it: 422 at creation, and an endpoint stored before is blocked at delivery, nothing sent', async () => {
    const rcv = await f.receiver()
    const tenant = await f.tenant()
    const ep = await f.endpoint(tenant, { url: `${rcv.url}/hook`, retry: { maxRetries: 3 } })
    // Delivered once while allowed: the sender holds a kept-alive connection to the receiver now.
    expect((await deliverOne(f, tenant)).status).toBe('succeeded')
    const connections = rcv.connections
    expect(connections).toBeGreaterThan(0)

    const none = await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: [] })
    expect(none.status).toBe(200)
    expect(none.body.allowedNetworks).toEqual([])
    expectInvalid(await f.srv.api('POST', `/v1/tenants/${tenant}/endpoints`, { url: `${rcv.url}/other` }), '/url', 'url_not_allowed')
    expectInvalid(await f.srv.api('PATCH', `/v1/tenants/${tenant}/endpoints/${ep.id}`, { url: `${rcv.url}/moved` }), '/url', 'url_not_allowed')

    expectBlocked(await deliverOne(f, tenant), '127.0.0.1')
    // A test send goes the same way.
    const test = await f.srv.api('POST', `/v1/tenants/${tenant}/endpoints/${ep.id}/test`, {})
    expect(test.status).toBe(200)
    expect(test.body.error).toMatchObject({ kind: 'blocked' })
    await expectNothingReached(rcv, connections, 1)
    // Another tenant, still on the server-wide setting, is unaffected.
    const other = await f.tenant()
    await f.endpoint(other, { url: `${rcv.url}/hook` })
    expect((await deliverOne(f, other)).status).toBe('succeeded')
  })

  it("a Liquid URL is judged as rendered: a tenant's metadata pointing it at [::1], a network the tenant lacks, is blocked at delivery", async () => {
    const v4 = await f.receiver()
    const v6 = await f.receiver(undefined, { host: '::1' })
    const create = await f.srv.api('POST', '/v1/tenants', { id: 'tn-liquid', name: 'Liquid', metadata: { host: `127.0.0.1:${v4.port}` }, allowedNetworks: ['127.0.0.1/32'] })
    expect(create.status).toBe(201)
    await f.endpoint('tn-liquid', { url: 'http://{{ tenant.metadata.host }}/hook' })
    expect((await deliverOne(f, 'tn-liquid')).status).toBe('succeeded')
    expect(v4.hits).toHaveLength(1)

    // The tenant's metadata changes the rendered URL without touching the endpoint: nothing is
    // checked at that moment; the guard judges the rendered address at delivery, by the tenant's list
    // (the server-wide one would allow ::1).
    expect((await f.srv.api('PATCH', '/v1/tenants/tn-liquid', { metadata: { host: `[::1]:${v6.port}` } })).status).toBe(200)
    const d = await deliverOne(f, 'tn-liquid')
    expectBlocked(d, '::1')
    expect(d.attempts[0].request.url).toBe(`http://[::1]:${v6.port}/hook`)
    await expectNothingReached(v6, 0, 0)
    expect(v4.hits).toHaveLength(1)
  })

  it('a gateway route of a tenant without the network answers 502 and its upstream sees nothing; given back the network, it proxies again', async () => {
    const upstream = await f.receiver(() => ({ status: 200, body: 'upstream says hi' }))
    const tenant = await f.tenant()
    expect((await f.srv.api('POST', `/v1/tenants/${tenant}/routes`, { name: 'api', upstreamUrl: upstream.url })).status).toBe(201)
    const gw = (path: string) => fetch(`${f.srv.url}/gw/${tenant}/api${path}`)
    const ok = await gw('/ping')
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('upstream says hi')
    const connections = upstream.connections

    expect((await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: ['::1/128'] })).status).toBe(200)
    const refused = await gw('/secret')
    expect(refused.status).toBe(502)
    const problem = (await refused.json()) as { code: string; detail: string }
    expect(problem.code).toBe('upstream_unreachable')
    expect(problem.detail).toContain('blocked')
    expectInvalid(await f.srv.api('POST', `/v1/tenants/${tenant}/routes`, { name: 'api2', upstreamUrl: upstream.url }), '/upstreamUrl', 'url_not_allowed')
    await expectNothingReached(upstream, connections, 1)

    expect((await f.srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: ['127.0.0.1/32'] })).status).toBe(200)
    expect((await gw('/again')).status).toBe(200)
    expect(upstream.hits.map((h) => h.url)).toEqual(['/ping', '/again'])
  })

  it('OpenAPI documents allowedNetworks on the tenant and on its create and update bodies', async () => {
    const doc = (await f.srv.api('GET', '/openapi.json')).body
    const tenantOut = doc.paths['/v1/tenants/{tenantId}'].get.responses['200'].content['application/json'].schema
    const resolve = (s: any): any => (s.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s)
    expect(resolve(tenantOut).properties.allowedNetworks.description).toMatch(/HOOKRELAY_ALLOWED_NETWORKS/)
    expect(resolve(tenantOut).required).toContain('allowedNetworks')
    for (const [path, method] of [['/v1/tenants', 'post'], ['/v1/tenants/{tenantId}', 'patch']] as const) {
      const body = resolve(doc.paths[path][method].requestBody.content['application/json'].schema)
      expect(body.properties.allowedNetworks.description, `${method} ${path}`).toMatch(/Admin token only/)
    }
  })
})
