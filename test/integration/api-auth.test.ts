/**
 * API.md "Auth": bearer tokens, the admin token, tenant API keys and what each may reach.
 * Network rule: the only traffic is to the server and receiver on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectList, expectProblem, guardAgainst5xx, ISO } from './api-support.js'

describe('API auth', () => {
  let srv: TestServer
  let rcv: Receiver
  let check5xx: () => void
  // Tenant A holds the key under test; tenant B's resources must stay invisible to it.
  let keyA: string
  let keyIdA: string
  let epA: string
  let epB: string
  let evtB: string
  let dlvB: string

  beforeAll(async () => {
    srv = await startTestServer()
    rcv = await startReceiver()
    check5xx = guardAgainst5xx(srv)
    expect((await srv.api('POST', '/v1/tenants', { id: 'auth-a', name: 'A' })).status).toBe(201)
    expect((await srv.api('POST', '/v1/tenants', { id: 'auth-b', name: 'B' })).status).toBe(201)
    const key = await srv.api('POST', '/v1/tenants/auth-a/api-keys', { name: 'ci' })
    expect(key.status).toBe(201)
    keyA = key.body.key
    keyIdA = key.body.id
    epA = (await srv.api('POST', '/v1/tenants/auth-a/endpoints', { url: `${rcv.url}/a` })).body.id
    epB = (await srv.api('POST', '/v1/tenants/auth-b/endpoints', { url: `${rcv.url}/b` })).body.id
    const pub = await srv.api('POST', '/v1/tenants/auth-b/events', { type: 'invoice.paid', payload: { n: 1 } })
    expect(pub.status).toBe(202)
    evtB = pub.body.id
    const dl = await srv.api('GET', `/v1/tenants/auth-b/deliveries?eventId=${evtB}`)
    dlvB = dl.body.data[0].id
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await srv?.close()
    await rcv?.close()
  })

  it('a path that cannot be decoded is a 400 problem, not a framework error', async () => {
    expectProblem(await srv.api('GET', '/v1/tenants/%E0%A4%A'), 400, 'bad_request')
    expectProblem(await srv.api('GET', '/v1/tenants/auth-a/endpoints/%ZZ'), 400, 'bad_request')
    // An id longer than any real one is just unknown.
    expectProblem(await srv.api('GET', `/v1/tenants/auth-a/endpoints/ep_${'x'.repeat(300)}`), 404, 'not_found')
  })

  describe('without a valid token', () => {
    const paths: Array<[string, string]> = [
      ['GET', '/v1/tenants'],
      ['POST', '/v1/tenants'],
      ['GET', '/v1/tenants/auth-a'],
      ['GET', '/v1/tenants/auth-a/endpoints'],
      ['GET', '/v1/tenants/auth-a/events'],
      ['GET', '/v1/event-types'],
    ]

    it.each(paths)('%s %s without a token is a 401 problem naming the Bearer scheme', async (method, path) => {
      const res = await srv.api(method, path, method === 'POST' ? { name: 'x' } : undefined, { token: null })
      expectProblem(res, 401, 'unauthorized')
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
    })

    it.each(paths)('%s %s with a wrong token is a 401 problem', async (method, path) => {
      const res = await srv.api(method, path, method === 'POST' ? { name: 'x' } : undefined, { token: 'not-the-token' })
      expectProblem(res, 401, 'unauthorized')
    })

    it('a non-bearer authorization header is a 401 problem', async () => {
      const basic = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`
      const res = await srv.api('GET', '/v1/tenants', undefined, { token: null, headers: { authorization: basic } })
      expectProblem(res, 401, 'unauthorized')
      const empty = await srv.api('GET', '/v1/tenants', undefined, { token: null, headers: { authorization: 'Bearer' } })
      expectProblem(empty, 401, 'unauthorized')
    })

    it('refuses before validating: a bad body without a token is still 401', async () => {
      const res = await srv.api('POST', '/v1/tenants', '{not json', { token: null })
      expectProblem(res, 401, 'unauthorized')
    })
  })

  describe('the admin token', () => {
    it('may do everything: tenants, event types, keys, endpoints and events of any tenant', async () => {
      expect((await srv.api('GET', '/v1/tenants')).status).toBe(200)
      expect((await srv.api('POST', '/v1/event-types', { name: 'auth.checked' })).status).toBe(201)
      expect((await srv.api('GET', '/v1/event-types')).status).toBe(200)
      for (const t of ['auth-a', 'auth-b']) {
        expect((await srv.api('GET', `/v1/tenants/${t}`)).status).toBe(200)
        expect((await srv.api('GET', `/v1/tenants/${t}/endpoints`)).status).toBe(200)
        expect((await srv.api('GET', `/v1/tenants/${t}/events`)).status).toBe(200)
        expect((await srv.api('GET', `/v1/tenants/${t}/deliveries`)).status).toBe(200)
        expect((await srv.api('GET', `/v1/tenants/${t}/api-keys`)).status).toBe(200)
      }
      expect((await srv.api('GET', `/v1/tenants/auth-b/endpoints/${epB}`)).status).toBe(200)
      expect((await srv.api('GET', `/v1/tenants/auth-b/events/${evtB}`)).status).toBe(200)
      expect((await srv.api('GET', `/v1/tenants/auth-b/deliveries/${dlvB}`)).status).toBe(200)
    })
  })

  describe('a tenant API key', () => {
    it('is shown once: in the creation answer, never in the list', async () => {
      const created = await srv.api('POST', '/v1/tenants/auth-a/api-keys', { name: 'second' })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({
        id: expect.stringMatching(/^key_/),
        name: 'second',
        key: expect.any(String),
        createdAt: expect.stringMatching(ISO),
      })
      const list = await srv.api('GET', '/v1/tenants/auth-a/api-keys')
      const keys = expectList(list)
      expect(keys.map((k) => k.id)).toEqual(expect.arrayContaining([keyIdA, created.body.id]))
      for (const k of keys) {
        expect(k).not.toHaveProperty('key')
        expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'name'])
      }
      expect(JSON.stringify(list.body)).not.toContain(created.body.key)
      expect(JSON.stringify(list.body)).not.toContain(keyA)
    })

    it('a key for an unknown tenant is a 404', async () => {
      expectProblem(await srv.api('POST', '/v1/tenants/auth-nobody/api-keys', { name: 'x' }), 404, 'not_found')
    })

    it("reaches its own tenant's endpoints, events and deliveries", async () => {
      const token = keyA
      const eps = await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token })
      expect(expectList(eps).map((e) => e.id)).toEqual([epA])
      expect((await srv.api('GET', `/v1/tenants/auth-a/endpoints/${epA}`, undefined, { token })).body.id).toBe(epA)
      const secret = await srv.api('GET', `/v1/tenants/auth-a/endpoints/${epA}/secret`, undefined, { token })
      expect(secret.status).toBe(200)
      expect(secret.body.secret).toMatch(/^whsec_/)
      const created = await srv.api('POST', '/v1/tenants/auth-a/endpoints', { url: `${rcv.url}/a2`, enabled: false }, { token })
      expect(created.status).toBe(201)
      expect((await srv.api('PATCH', `/v1/tenants/auth-a/endpoints/${created.body.id}`, { name: 'renamed' }, { token })).body.name).toBe('renamed')
      expect((await srv.api('DELETE', `/v1/tenants/auth-a/endpoints/${created.body.id}`, undefined, { token })).status).toBe(204)

      const pub = await srv.api('POST', '/v1/tenants/auth-a/events', { type: 'invoice.paid', payload: { by: 'key' } }, { token })
      expect(pub.status).toBe(202)
      expect(pub.body.deliveryCount).toBe(1)
      const ev = await srv.api('GET', `/v1/tenants/auth-a/events/${pub.body.id}`, undefined, { token })
      expect(ev.status).toBe(200)
      expect(ev.body.deliveries).toHaveLength(1)
      const events = expectList(await srv.api('GET', '/v1/tenants/auth-a/events', undefined, { token }))
      expect(events.map((e) => e.id)).toContain(pub.body.id)
      const dls = expectList(await srv.api('GET', '/v1/tenants/auth-a/deliveries', undefined, { token }))
      expect(dls.map((d) => d.eventId)).toContain(pub.body.id)
      const dl = await srv.api('GET', `/v1/tenants/auth-a/deliveries/${ev.body.deliveries[0].id}`, undefined, { token })
      expect(dl.status).toBe(200)
      expect(dl.body.eventId).toBe(pub.body.id)
      await rcv.waitForHits(1, DELIVERY_WAIT_MS)
    })

    it('gets 403 on the tenant list and tenant creation', async () => {
      expectProblem(await srv.api('GET', '/v1/tenants', undefined, { token: keyA }), 403, 'forbidden')
      expectProblem(await srv.api('POST', '/v1/tenants', { id: 'auth-c', name: 'C' }, { token: keyA }), 403, 'forbidden')
      // Nothing was created.
      expectProblem(await srv.api('GET', '/v1/tenants/auth-c'), 404, 'not_found')
    })

    it('reads the event-type catalog but gets 403 on changing it', async () => {
      expectList(await srv.api('GET', '/v1/event-types', undefined, { token: keyA }))
      expectProblem(await srv.api('POST', '/v1/event-types', { name: 'auth.by-key' }, { token: keyA }), 403, 'forbidden')
      expect((await srv.api('GET', '/v1/event-types/auth.checked', undefined, { token: keyA })).body.name).toBe('auth.checked')
      expectProblem(await srv.api('PATCH', '/v1/event-types/auth.checked', { description: 'x' }, { token: keyA }), 403, 'forbidden')
      expectProblem(await srv.api('DELETE', '/v1/event-types/auth.checked', undefined, { token: keyA }), 403, 'forbidden')
    })

    it("gets 403 on another tenant's paths, whatever the resource", async () => {
      const token = keyA
      const refused: Array<[string, string, unknown?]> = [
        ['GET', '/v1/tenants/auth-b'],
        ['PATCH', '/v1/tenants/auth-b', { name: 'stolen' }],
        ['DELETE', '/v1/tenants/auth-b'],
        ['POST', '/v1/tenants/auth-b/api-keys', { name: 'stolen' }],
        ['GET', '/v1/tenants/auth-b/api-keys'],
        ['GET', '/v1/tenants/auth-b/endpoints'],
        ['POST', '/v1/tenants/auth-b/endpoints', { url: `${rcv.url}/stolen` }],
        ['GET', `/v1/tenants/auth-b/endpoints/${epB}`],
        ['GET', `/v1/tenants/auth-b/endpoints/${epB}/secret`],
        ['POST', `/v1/tenants/auth-b/endpoints/${epB}/secret/rotate`],
        ['GET', '/v1/tenants/auth-b/events'],
        ['POST', '/v1/tenants/auth-b/events', { type: 'invoice.paid', payload: {} }],
        ['GET', `/v1/tenants/auth-b/events/${evtB}`],
        ['GET', '/v1/tenants/auth-b/deliveries'],
        ['GET', `/v1/tenants/auth-b/deliveries/${dlvB}`],
        // A tenant that does not exist is refused the same way: no existence leak.
        ['GET', '/v1/tenants/auth-nobody/endpoints'],
      ]
      for (const [method, path, body] of refused) {
        const res = await srv.api(method, path, body, { token })
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 })
        expectProblem(res, 403, 'forbidden')
      }
      // Tenant B is untouched.
      const b = await srv.api('GET', '/v1/tenants/auth-b')
      expect(b.body.name).toBe('B')
      expect(expectList(await srv.api('GET', '/v1/tenants/auth-b/endpoints')).map((e) => e.id)).toEqual([epB])
    })

    it("gets 404 for another tenant's endpoint, event and delivery ids under its own path", async () => {
      const token = keyA
      const hidden: Array<[string, string, unknown?]> = [
        ['GET', `/v1/tenants/auth-a/endpoints/${epB}`],
        ['PATCH', `/v1/tenants/auth-a/endpoints/${epB}`, { name: 'stolen' }],
        ['DELETE', `/v1/tenants/auth-a/endpoints/${epB}`],
        ['GET', `/v1/tenants/auth-a/endpoints/${epB}/secret`],
        ['POST', `/v1/tenants/auth-a/endpoints/${epB}/secret/rotate`],
        ['POST', `/v1/tenants/auth-a/endpoints/${epB}/test`],
        ['GET', `/v1/tenants/auth-a/endpoints/${epB}/stats`],
        ['POST', `/v1/tenants/auth-a/endpoints/${epB}/recover`, { since: new Date(0).toISOString() }],
        ['GET', `/v1/tenants/auth-a/events/${evtB}`],
        ['GET', `/v1/tenants/auth-a/deliveries/${dlvB}`],
        ['POST', `/v1/tenants/auth-a/deliveries/${dlvB}/retry`],
      ]
      for (const [method, path, body] of hidden) {
        const res = await srv.api(method, path, body, { token })
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 })
        expectProblem(res, 404, 'not_found')
      }
      // Filters naming B's ids find nothing under A.
      expect(expectList(await srv.api('GET', `/v1/tenants/auth-a/deliveries?eventId=${evtB}`, undefined, { token }))).toEqual([])
      expect(expectList(await srv.api('GET', `/v1/tenants/auth-a/deliveries?endpointId=${epB}`, undefined, { token }))).toEqual([])
      // B's endpoint is unchanged and was not sent a test.
      const ep = await srv.api('GET', `/v1/tenants/auth-b/endpoints/${epB}`)
      expect(ep.body.name).toBe('')
      expect(rcv.hits.filter((h) => h.url === '/b' && h.body.includes('webhook.test'))).toEqual([])
    })

    it('stops working once deleted', async () => {
      const created = await srv.api('POST', '/v1/tenants/auth-a/api-keys', { name: 'short-lived' })
      const token = created.body.key as string
      expect((await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token })).status).toBe(200)
      expect((await srv.api('DELETE', `/v1/tenants/auth-a/api-keys/${created.body.id}`)).status).toBe(204)
      expectProblem(await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token }), 401, 'unauthorized')
      const list = expectList(await srv.api('GET', '/v1/tenants/auth-a/api-keys'))
      expect(list.map((k) => k.id)).not.toContain(created.body.id)
      // Deleting it again, or under another tenant, is a 404.
      expectProblem(await srv.api('DELETE', `/v1/tenants/auth-a/api-keys/${created.body.id}`), 404, 'not_found')
      expectProblem(await srv.api('DELETE', `/v1/tenants/auth-b/api-keys/${keyIdA}`), 404, 'not_found')
      // The other key of the tenant still works.
      expect((await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token: keyA })).status).toBe(200)
    })

    it("stops working when its tenant is deleted", async () => {
      expect((await srv.api('POST', '/v1/tenants', { id: 'auth-gone', name: 'Gone' })).status).toBe(201)
      const token = (await srv.api('POST', '/v1/tenants/auth-gone/api-keys', { name: 'k' })).body.key as string
      expect((await srv.api('GET', '/v1/tenants/auth-gone/endpoints', undefined, { token })).status).toBe(200)
      expect((await srv.api('DELETE', '/v1/tenants/auth-gone')).status).toBe(204)
      expectProblem(await srv.api('GET', '/v1/tenants/auth-gone/endpoints', undefined, { token }), 401, 'unauthorized')
    })

    it('gets 404 for a path no route matches under its own tenant, 403 under another', async () => {
      expectProblem(await srv.api('GET', '/v1/tenants/auth-a/no-such-thing', undefined, { token: keyA }), 404, 'route_not_found')
      expectProblem(await srv.api('GET', '/v1/tenants/auth-b/no-such-thing', undefined, { token: keyA }), 403, 'forbidden')
    })

    it('may read its own tenant but not delete it: that is the admin\'s', async () => {
      expect((await srv.api('GET', '/v1/tenants/auth-a', undefined, { token: keyA })).status).toBe(200)
      expectProblem(await srv.api('DELETE', '/v1/tenants/auth-a', undefined, { token: keyA }), 403, 'forbidden')
      expect((await srv.api('GET', '/v1/tenants/auth-a')).status).toBe(200)
      expect((await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token: keyA })).status).toBe(200)
    })

    it('may not mint, list or revoke API keys, even its own tenant\'s, so revoking a leaked key ends its access', async () => {
      const leaked = await srv.api('POST', '/v1/tenants/auth-a/api-keys', { name: 'leaked' })
      expect(leaked.status).toBe(201)
      const token = leaked.body.key as string
      const before = expectList(await srv.api('GET', '/v1/tenants/auth-a/api-keys')).map((k) => k.id)

      const mint = await srv.api('POST', '/v1/tenants/auth-a/api-keys', { name: 'escape hatch' }, { token })
      expectProblem(mint, 403, 'forbidden')
      expect(mint.body.detail).toBe('Only the admin token may manage API keys.')
      expect(JSON.stringify(mint.body)).not.toMatch(/hrk_/)
      expectProblem(await srv.api('GET', '/v1/tenants/auth-a/api-keys', undefined, { token }), 403, 'forbidden')
      // Nor revoke another key of its tenant (the admin's working key, say), nor itself.
      expectProblem(await srv.api('DELETE', `/v1/tenants/auth-a/api-keys/${keyIdA}`, undefined, { token }), 403, 'forbidden')
      expectProblem(await srv.api('DELETE', `/v1/tenants/auth-a/api-keys/${leaked.body.id}`, undefined, { token }), 403, 'forbidden')
      // Nothing was minted or revoked.
      expect(expectList(await srv.api('GET', '/v1/tenants/auth-a/api-keys')).map((k) => k.id)).toEqual(before)
      expect((await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token: keyA })).status).toBe(200)

      // The admin revokes the leaked key: its access ends, and it left no key behind to go on with.
      expect((await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token })).status).toBe(200)
      expect((await srv.api('DELETE', `/v1/tenants/auth-a/api-keys/${leaked.body.id}`)).status).toBe(204)
      expectProblem(await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token }), 401, 'unauthorized')
      expectProblem(await srv.api('POST', '/v1/tenants/auth-a/api-keys', { name: 'too late' }, { token }), 401, 'unauthorized')
      expect(expectList(await srv.api('GET', '/v1/tenants/auth-a/api-keys')).map((k) => k.id)).toEqual(before.filter((id) => id !== leaked.body.id))
    })

    it('a near miss of a valid key is a 401', async () => {
      expectProblem(await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token: `${keyA}x` }), 401, 'unauthorized')
      expectProblem(await srv.api('GET', '/v1/tenants/auth-a/endpoints', undefined, { token: keyA.slice(0, -1) }), 401, 'unauthorized')
    })
  })
})
