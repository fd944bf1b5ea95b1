/**
 * The client against a real server on loopback (API.md, SDK): publish, lists that follow
 * nextCursor over several pages, problem responses as HookrelayError, secrets and rotation.
 */
import { describe, expect, it } from 'vitest'
import type { Receiver } from '../../test/helpers/receiver.js'
import { Hookrelay, HookrelayError, verifyWebhook } from '../src/index.js'
import { endpointAt, useSdkServerAndReceiver } from './helpers.js'

/** A fetch that records every URL it is asked for. */
function countingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = []
  return {
    urls,
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : input.toString())
      return fetch(input, init)
    },
  }
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe('Hookrelay client on a real server', () => {
  const env = useSdkServerAndReceiver()

  it('publishes an event that is delivered signed, with a generated idempotency key', async () => {
    const { tenantId, secret } = await endpointAt(env.s.hr, `${env.receiver.url}/publish`)
    const event = await env.s.hr.events.publish(tenantId, { type: 'invoice.paid', payload: { invoice: 'in_1', amount: 42 } })
    expect(event).toMatchObject({ type: 'invoice.paid', payload: { invoice: 'in_1', amount: 42 }, deliveryCount: 1 })
    expect(event.id).toMatch(/^evt_/)
    expect(event.idempotencyKey).toMatch(/^sdk_[0-9a-f-]{36}$/)

    const [hit] = (await env.receiver.waitForHits(1)).filter((h) => h.url === '/publish')
    expect(hit!.headers['webhook-id']).toBe(event.id)
    expect(verifyWebhook(hit!.body, hit!.headers, secret)).toMatchObject({ id: event.id, type: 'invoice.paid', data: { invoice: 'in_1', amount: 42 } })

    const detail = await env.s.hr.events.get(tenantId, event.id)
    expect(detail.deliveries).toHaveLength(1)
    const delivery = await env.s.hr.deliveries.get(tenantId, detail.deliveries[0]!.id)
    expect(delivery.eventId).toBe(event.id)
  })

  it('keeps a given idempotency key: publishing it again returns the original event and creates nothing', async () => {
    const { tenantId } = await endpointAt(env.s.hr, `${env.receiver.url}/keyed`)
    const first = await env.s.hr.events.publish(tenantId, { type: 'order.created', payload: { n: 1 }, idempotencyKey: 'order-1' })
    const again = await env.s.hr.events.publish(tenantId, { type: 'order.created', payload: { n: 1 }, idempotencyKey: 'order-1' })
    expect(again.id).toBe(first.id)
    expect(await all(env.s.hr.events.list(tenantId))).toHaveLength(1)
  })

  it('retries a publish whose answer was lost, and the retry does not publish twice', async () => {
    const { tenantId } = await endpointAt(env.s.hr, `${env.receiver.url}/lost`)
    let calls = 0
    // The first publish reaches the server and is stored; its answer is then lost, as when a
    // connection drops after the request was sent. The client must retry with the same key.
    const losing: typeof fetch = async (input, init) => {
      const res = await fetch(input, init)
      if (init?.method === 'POST' && ++calls === 1) {
        await res.arrayBuffer()
        throw new TypeError('fetch failed', { cause: new Error('socket hang up') })
      }
      return res
    }
    const event = await env.s.client({ fetch: losing }).events.publish(tenantId, { type: 'order.created', payload: { n: 2 } })
    expect(calls).toBe(2)
    const events = await all(env.s.hr.events.list(tenantId))
    expect(events.map((e) => e.id)).toEqual([event.id])
    expect(await all(env.s.hr.deliveries.list(tenantId))).toHaveLength(1)
  })

  it('list calls iterate every item over several pages, following nextCursor', async () => {
    const tenant = await env.s.hr.tenants.create({ name: 'paging' })
    const published: string[] = []
    for (let i = 0; i < 7; i++) published.push((await env.s.hr.events.publish(tenant.id, { type: 'page.item', payload: { i } })).id)

    const counting = countingFetch()
    const events = await all(env.s.client({ fetch: counting.fetch }).events.list(tenant.id, { limit: 3 }))
    expect(events.map((e) => e.id).sort()).toEqual([...published].sort())
    // 3 + 3 + 1: three pages, the later two asked for with the cursor the one before gave.
    expect(counting.urls).toHaveLength(3)
    expect(counting.urls[0]).not.toContain('cursor=')
    expect(counting.urls.slice(1).every((u) => u.includes('cursor='))).toBe(true)
    expect(counting.urls.every((u) => u.includes('limit=3'))).toBe(true)

    // Stopping early reads no further page.
    const early = countingFetch()
    for await (const e of env.s.client({ fetch: early.fetch }).events.list(tenant.id, { limit: 3 })) {
      expect(published).toContain(e.id)
      break
    }
    expect(early.urls).toHaveLength(1)

    // Tenants too (a list that is not tenant-scoped), with a filter that survives the paging.
    const tenants = await all(env.s.hr.tenants.list({ limit: 2 }))
    expect(tenants.map((t) => t.id)).toContain(tenant.id)
    expect(new Set(tenants.map((t) => t.id)).size).toBe(tenants.length)
  })

  it('throws HookrelayError with status, code, detail and errors for problem responses', async () => {
    const tenant = await env.s.hr.tenants.create({ name: 'errors' })
    const notFound = await env.s.hr.endpoints.get(tenant.id, 'ep_missing').catch((e: unknown) => e)
    expect(notFound).toBeInstanceOf(HookrelayError)
    expect(notFound).toMatchObject({ status: 404, code: 'not_found' })
    expect((notFound as HookrelayError).detail).toMatch(/not found/i)

    const invalid = await env.s.hr.endpoints.create(tenant.id, { url: 'ftp://example.com/x', timeoutSeconds: 500 }).catch((e: unknown) => e)
    expect(invalid).toBeInstanceOf(HookrelayError)
    const err = invalid as HookrelayError
    expect(err.status).toBe(422)
    expect(err.code).toBe('validation_failed')
    expect(err.errors.length).toBeGreaterThan(0)
    expect(err.errors.every((e) => typeof e.path === 'string' && typeof e.message === 'string')).toBe(true)
    expect(err.problem).toMatchObject({ status: 422, code: 'validation_failed' })

    const conflict = await env.s.hr.tenants.create({ id: tenant.id, name: 'again' }).catch((e: unknown) => e)
    expect(conflict).toMatchObject({ status: 409 })

    const anonymous = await new Hookrelay({ baseUrl: env.s.srv.url, token: 'wrong-token' }).tenants.get(tenant.id).catch((e: unknown) => e)
    expect(anonymous).toMatchObject({ name: 'HookrelayError', status: 401, code: 'unauthorized' })
  })

  it('a tenant API key reaches its own tenant only', async () => {
    const tenant = await env.s.hr.tenants.create({ name: 'keyed' })
    const other = await env.s.hr.tenants.create({ name: 'other' })
    const key = await env.s.hr.apiKeys.create(tenant.id, { name: 'ci' })
    expect(key.key).toBeTruthy()
    const asTenant = env.s.client({ token: key.key })
    expect(await asTenant.whoami()).toMatchObject({ kind: 'tenant', tenantId: tenant.id })
    await expect(asTenant.endpoints.create(tenant.id, { url: `${env.receiver.url}/key` })).resolves.toMatchObject({ tenantId: tenant.id })
    await expect(asTenant.tenants.get(other.id)).rejects.toMatchObject({ status: 403 })
    expect((await all(env.s.hr.apiKeys.list(tenant.id))).map((k) => k.id)).toEqual([key.id])
    await env.s.hr.apiKeys.delete(tenant.id, key.id)
    await expect(asTenant.whoami()).rejects.toMatchObject({ status: 401 })
  })

  it('reads and rotates an endpoint secret; during the rotation deliveries carry both signatures', async () => {
    const { tenantId, endpointId, secret: oldSecret } = await endpointAt(env.s.hr, `${env.receiver.url}/rotation`)
    expect(oldSecret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/)
    const newSecret = await env.s.hr.endpoints.rotateSecret(tenantId, endpointId)
    expect(newSecret).toMatch(/^whsec_/)
    expect(newSecret).not.toBe(oldSecret)
    expect(await env.s.hr.endpoints.getSecret(tenantId, endpointId)).toBe(newSecret)

    const event = await env.s.hr.events.publish(tenantId, { type: 'secret.rotated', payload: { step: 1 } })
    const hit = await waitFor(env.receiver, event.id)
    expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(2)
    // A receiver still on the old secret and one already on the new one both accept it.
    expect(verifyWebhook(hit.body, hit.headers, oldSecret)).toMatchObject({ id: event.id })
    expect(verifyWebhook(hit.body, hit.headers, newSecret)).toMatchObject({ id: event.id })

    // A chosen secret is taken as given.
    const chosen = 'whsec_' + Buffer.from('a chosen secret of 32 bytes!!!!!').toString('base64')
    expect(await env.s.hr.endpoints.rotateSecret(tenantId, endpointId, { secret: chosen })).toBe(chosen)
  })

  it('covers the other resources: event types, endpoint test/stats/recover, sources, routes, portal sessions, deliveries', async () => {
    const { tenantId, endpointId } = await endpointAt(env.s.hr, `${env.receiver.url}/resources`)
    const type = `sdk.check${process.pid}`
    await env.s.hr.eventTypes.create({ name: type, description: 'from the SDK test' })
    expect(await env.s.hr.eventTypes.get(type)).toMatchObject({ name: type })
    expect(await env.s.hr.eventTypes.update(type, { description: 'changed' })).toMatchObject({ description: 'changed' })
    expect((await all(env.s.hr.eventTypes.list())).map((t) => t.name)).toContain(type)

    const attempt = await env.s.hr.endpoints.test(tenantId, endpointId)
    expect(attempt).toMatchObject({ trigger: 'test', success: true })
    expect(await env.s.hr.endpoints.stats(tenantId, endpointId)).toHaveProperty('total')
    expect(await env.s.hr.endpoints.recover(tenantId, endpointId, { since: new Date(Date.now() - 3600_000).toISOString(), dryRun: true })).toEqual({ count: 0 })
    expect(await env.s.hr.endpoints.update(tenantId, endpointId, { name: 'renamed' })).toMatchObject({ name: 'renamed' })

    const event = await env.s.hr.events.publish(tenantId, { type: 'resource.check', payload: {} })
    const [delivery] = await all(env.s.hr.deliveries.list(tenantId, { eventId: event.id }))
    expect(delivery).toMatchObject({ eventId: event.id, endpointId })
    expect(await env.s.hr.deliveries.retry(tenantId, delivery!.id)).toMatchObject({ id: delivery!.id })

    const source = await env.s.hr.sources.create(tenantId, { name: 'in', verification: { type: 'hmac', secret: 'shh-its-a-secret' } })
    expect(await env.s.hr.sources.get(tenantId, source.id)).toMatchObject({ name: 'in' })
    expect(await env.s.hr.sources.getSecret(tenantId, source.id)).toBe('shh-its-a-secret')
    expect(await all(env.s.hr.sources.logs(tenantId, source.id))).toEqual([])
    await env.s.hr.sources.delete(tenantId, source.id)

    const route = await env.s.hr.routes.create(tenantId, { name: 'api', upstreamUrl: `${env.receiver.url}/upstream` })
    expect((await all(env.s.hr.routes.list(tenantId))).map((r) => r.id)).toEqual([route.id])
    await env.s.hr.routes.delete(tenantId, route.id)
    await expect(env.s.hr.routes.get(tenantId, route.id)).rejects.toMatchObject({ status: 404 })

    const session = await env.s.hr.portalSessions.create(tenantId, { capabilities: ['secrets.read'] })
    expect(session.url).toContain('#token=')
    await env.s.hr.portalSessions.revoke(tenantId, session.id)
    await expect(env.s.client({ token: session.token }).whoami()).rejects.toMatchObject({ status: 401 })

    await env.s.hr.endpoints.delete(tenantId, endpointId)
    await env.s.hr.eventTypes.delete(type)
    await env.s.hr.tenants.delete(tenantId)
    await expect(env.s.hr.tenants.get(tenantId)).rejects.toMatchObject({ status: 404 })
  })
})

/** The receiver's hit for this event, once it arrived. */
async function waitFor(receiver: Receiver, eventId: string): Promise<Receiver['hits'][number]> {
  for (let n = 1; ; n++) {
    const hits = await receiver.waitForHits(n)
    const hit = hits.find((h) => h.headers['webhook-id'] === eventId)
    if (hit) return hit
  }
}
