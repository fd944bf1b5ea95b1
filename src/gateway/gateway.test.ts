import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { Route, Tenant } from '../core/model.js'
import { Gateway, upstreamUrl } from './gateway.js'
import type { UpstreamRequest } from './upstream.js'

describe('upstreamUrl', () => {
  it("appends the request's path to the route's, without doubling slashes, and joins queries", () => {
    expect(upstreamUrl('http://127.0.0.1:9/api', '/v1/items', 'a=1')).toBe('http://127.0.0.1:9/api/v1/items?a=1')
    expect(upstreamUrl('http://127.0.0.1:9/api/', '/v1', '')).toBe('http://127.0.0.1:9/api/v1')
    expect(upstreamUrl('http://127.0.0.1:9', '/x', '')).toBe('http://127.0.0.1:9/x')
    expect(upstreamUrl('http://127.0.0.1:9/api?key=k', '/x', 'a=1')).toBe('http://127.0.0.1:9/api/x?key=k&a=1')
    expect(upstreamUrl('http://127.0.0.1:9/api', '', '')).toBe('http://127.0.0.1:9/api/')
    expect(upstreamUrl('http://127.0.0.1:9/api/', '', 'q=1')).toBe('http://127.0.0.1:9/api/?q=1')
  })

  it('refuses a path that climbs out of the route, however it is spelled', () => {
    for (const rest of ['/../admin', '/a/../../admin', '/%2e%2e/admin', '/%2E%2e/%2e%2E/x', '/.%2e/x', '/..\\admin', '/a/..%5c..%5cadmin/..']) {
      const out = upstreamUrl('http://127.0.0.1:9/public/orders', rest, '')
      if (out !== null) expect(new URL(out).pathname.startsWith('/public/orders/')).toBe(true)
    }
    expect(upstreamUrl('http://127.0.0.1:9/public/orders', '/../../admin/users', '')).toBeNull()
    expect(upstreamUrl('http://127.0.0.1:9/public/orders', '/%2e%2e/%2e%2e/admin', '')).toBeNull()
    expect(upstreamUrl('http://127.0.0.1:9/public/orders', '/..', '')).toBeNull()
    // Inside the route, dot segments are harmless.
    expect(upstreamUrl('http://127.0.0.1:9/public/orders', '/a/../b', '')).toBe('http://127.0.0.1:9/public/orders/b')
    // At the root there is nowhere to climb.
    expect(upstreamUrl('http://127.0.0.1:9', '/../x', '')).toBe('http://127.0.0.1:9/x')
  })

  it('keeps percent-encoding as received', () => {
    expect(upstreamUrl('http://127.0.0.1:9/api', '/a%2Fb/c%20d', '')).toBe('http://127.0.0.1:9/api/a%2Fb/c%20d')
  })
})

describe('Gateway route cache', () => {
  it("forgetTenant forgets that tenant's routes, and only that tenant's; each request carries its tenant's allowedNetworks", async () => {
    const loads: string[] = []
    const sent: UpstreamRequest[] = []
    const tenantNetworks: Record<string, string[] | null> = { t1: ['10.1.0.0/16'], t10: null }
    const gateway = new Gateway({
      store: {
        getRouteByName: async (tenantId, name) => {
          loads.push(`${tenantId}/${name}`)
          const route: Route = { id: 'rte_1', tenantId, name, upstreamUrl: 'http://127.0.0.1:9', timeoutSeconds: 1, createdAt: 0, updatedAt: 0 }
          return route
        },
        getTenant: async (id) => {
          const tenant: Tenant = { id, name: id, metadata: {}, allowedNetworks: tenantNetworks[id] ?? null, createdAt: 0, updatedAt: 0 }
          return tenant
        },
      },
      publisher: { publish: async () => ({}) as never },
      upstream: {
        open: async (req) => {
          sent.push(req)
          return { kind: 'answer', status: 204, headers: {}, body: Readable.from([]) }
        },
        close: async () => {},
      },
      now: () => 0,
    })
    const request = (tenantId: string, routeName: string) =>
      gateway.handle({ tenantId, routeName, method: 'GET', rest: '', search: '', headers: {}, readBody: async () => ({ head: Buffer.alloc(0), rest: null, declared: null, failure: () => null }), clientIp: '127.0.0.1', protocol: 'http' })
    for (const [t, r] of [['t1', 'a'], ['t1', 'b'], ['t10', 'a']] as const) await request(t, r)
    expect(loads).toEqual(['t1/a', 't1/b', 't10/a'])
    // The server-wide list is the upstream's own: a tenant without a list sends none.
    expect(sent.map((r) => r.allowedNetworks)).toEqual([['10.1.0.0/16'], ['10.1.0.0/16'], undefined])
    expect('allowedNetworks' in sent[2]!).toBe(false)
    tenantNetworks.t1 = []
    gateway.forgetTenant('t1')
    for (const [t, r] of [['t1', 'a'], ['t1', 'b'], ['t10', 'a']] as const) await request(t, r)
    expect(loads).toEqual(['t1/a', 't1/b', 't10/a', 't1/a', 't1/b'])
    expect(sent.slice(3).map((r) => r.allowedNetworks)).toEqual([[], [], undefined])
  })
})
