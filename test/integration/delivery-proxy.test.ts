/**
 * HOOKRELAY_EGRESS_PROXY (API.md, "What each delivery looks like"): every delivery leaves through
 * the HTTP proxy (absolute-form for http, CONNECT tunnels for https, connections kept alive), and
 * the SSRF guard still judges the real target first: a blocked target never reaches the proxy.
 * The proxy, the receivers and the server are all on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { startTestProxy, type TestProxy } from '../helpers/test-proxy.js'
import { makeTestPki, type TestPki } from '../helpers/tls-certs.js'

describe('deliveries through the egress proxy', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-proxy-'))
  let pki: TestPki
  let proxy: TestProxy
  let plain: Receiver
  let secure: Receiver
  let srv: TestServer
  let tenants = 0

  beforeAll(async () => {
    pki = makeTestPki()
    proxy = await startTestProxy()
    plain = await startReceiver()
    secure = await startReceiver(undefined, { tls: pki.localhost })
    const u = new URL(proxy.url)
    u.username = 'relay'
    u.password = 'p@ss'
    srv = await startTestServer({ dataDir, egressProxy: u.href.replace(/\/$/, ''), caCerts: pki.ca })
  })
  afterAll(async () => {
    await plain?.close()
    await secure?.close()
    await srv?.close()
    await proxy?.close()
    pki?.remove()
    rmSync(dataDir, { recursive: true, force: true })
  })

  async function endpointOn(s: TestServer, url: string): Promise<{ t: string; id: string }> {
    const t = `px-${++tenants}`
    expect((await s.api('POST', '/v1/tenants', { id: t, name: t })).status).toBe(201)
    const ep = await s.api('POST', `/v1/tenants/${t}/endpoints`, { url })
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    return { t, id: ep.body.id }
  }
  const basic = `Basic ${Buffer.from('relay:p@ss').toString('base64')}`

  it('sends http deliveries to the proxy in absolute form, over one kept-alive connection', async () => {
    const { t, id } = await endpointOn(srv, `${plain.url}/hook?x=1`)
    const hitsBefore = proxy.hits.length
    const connectionsBefore = proxy.connections
    for (let i = 0; i < 3; i++) {
      const test = await srv.api('POST', `/v1/tenants/${t}/endpoints/${id}/test`, {})
      expect(test.body).toMatchObject({ success: true, error: null })
    }
    expect(proxy.hits.slice(hitsBefore)).toEqual(
      Array(3).fill({ kind: 'forward', target: `${plain.url}/hook?x=1`, proxyAuthorization: basic, host: new URL(plain.url).host }),
    )
    expect(proxy.connections - connectionsBefore).toBe(1)
    // The receiver got the signed request as sent, without the proxy's credentials.
    expect(plain.hits).toHaveLength(3)
    expect(plain.hits[0]!.headers['webhook-signature']).toMatch(/^v1,/)
    expect(plain.hits[0]!.headers['proxy-authorization']).toBeUndefined()
  })

  it('tunnels https deliveries with CONNECT to the checked address, TLS end to end, one tunnel kept alive', async () => {
    const { t, id } = await endpointOn(srv, `https://localhost:${secure.port}/secure`)
    const hitsBefore = proxy.hits.length
    for (let i = 0; i < 3; i++) {
      const test = await srv.api('POST', `/v1/tenants/${t}/endpoints/${id}/test`, {})
      expect(test.body).toMatchObject({ success: true, error: null })
    }
    const connects = proxy.hits.slice(hitsBefore)
    // localhost resolves to ::1 and/or 127.0.0.1: the proxy is asked for addresses, never the name,
    // and a refused ::1 (the receiver listens on 127.0.0.1) moves on to the next address.
    expect(connects.every((h) => h.kind === 'connect' && h.proxyAuthorization === basic && h.target !== `localhost:${secure.port}`)).toBe(true)
    expect(connects.filter((h) => h.target === `127.0.0.1:${secure.port}`)).toHaveLength(1)
    expect(secure.hits.map((h) => h.url)).toEqual(['/secure', '/secure', '/secure'])
  })

  it('scheduled deliveries go through it too', async () => {
    const { t } = await endpointOn(srv, `${plain.url}/scheduled`)
    const before = proxy.hits.length
    const pub = await srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: { n: 1 } })
    expect(pub.status).toBe(202)
    await eventually(async () => plain.hits.some((h) => h.url === '/scheduled'))
    expect(proxy.hits.slice(before)).toEqual([expect.objectContaining({ kind: 'forward', target: `${plain.url}/scheduled` })])
  })

  it("a tenant's own allowedNetworks judge its targets before the proxy: [] never reaches it, its own list goes through", async () => {
    const { t, id } = await endpointOn(srv, `${plain.url}/tenant-net`)
    const tls = await endpointOn(srv, `https://localhost:${secure.port}/tenant-net`)
    const hitsBefore = proxy.hits.length
    const connectionsBefore = proxy.connections
    for (const tenant of [t, tls.t]) expect((await srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: [] })).status).toBe(200)
    for (const [tenant, ep] of [[t, id], [tls.t, tls.id]] as const) {
      const test = await srv.api('POST', `/v1/tenants/${tenant}/endpoints/${ep}/test`, {})
      expect(test.body.error).toMatchObject({ kind: 'blocked' })
    }
    expect(proxy.hits.length).toBe(hitsBefore)
    expect(proxy.connections).toBe(connectionsBefore)
    // Given loopback of their own, the same endpoints go through the proxy as before.
    for (const tenant of [t, tls.t]) {
      expect((await srv.api('PATCH', `/v1/tenants/${tenant}`, { allowedNetworks: ['127.0.0.0/8', '::1/128'] })).status).toBe(200)
    }
    for (const [tenant, ep] of [[t, id], [tls.t, tls.id]] as const) {
      const test = await srv.api('POST', `/v1/tenants/${tenant}/endpoints/${ep}/test`, {})
      expect(test.body).toMatchObject({ success: true, error: null })
    }
    expect(proxy.hits.slice(hitsBefore).map((h) => h.kind).sort()).toEqual(['connect', 'forward'])
    expect(plain.hits.filter((h) => h.url === '/tenant-net')).toHaveLength(1)
    expect(secure.hits.filter((h) => h.url === '/tenant-net')).toHaveLength(1)
  })

  it('a target the guard refuses never reaches the proxy', async () => {
    // Endpoints stored while loopback was allowed, then the server restarts without the allow-list.
    const { t, id } = await endpointOn(srv, `${plain.url}/blocked`)
    const tls = await endpointOn(srv, `https://localhost:${secure.port}/blocked`)
    await srv.close()
    srv = await startTestServer({ dataDir, egressProxy: proxy.url, caCerts: pki.ca, allowedNetworks: [] })
    const hitsBefore = proxy.hits.length
    const connectionsBefore = proxy.connections
    for (const [tenant, ep] of [[t, id], [tls.t, tls.id]] as const) {
      const test = await srv.api('POST', `/v1/tenants/${tenant}/endpoints/${ep}/test`, {})
      expect(test.body.error).toMatchObject({ kind: 'blocked' })
    }
    const pub = await srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: {} })
    const d = await eventually(async () => {
      const list = await srv.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)
      return list.body.data[0]?.status === 'failed' ? list.body.data[0] : null
    })
    expect(d.attemptCount).toBe(1)
    expect(proxy.hits.length).toBe(hitsBefore)
    expect(proxy.connections).toBe(connectionsBefore)
    expect(plain.hits.filter((h) => h.url === '/blocked')).toHaveLength(0)
  })
})
