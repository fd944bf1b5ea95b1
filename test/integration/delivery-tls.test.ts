/**
 * TLS and HTTPS (API.md, "What each delivery looks like"): certificates are always verified, a
 * private CA is trusted through HOOKRELAY_CA_CERTS, a bad certificate fails the attempt with kind
 * `tls` (retried, as network failures are), and HOOKRELAY_REQUIRE_HTTPS refuses http:// endpoints
 * and fails stored ones with kind `blocked`. Receivers are HTTPS servers on 127.0.0.1 with
 * certificates made for the test.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { makeTestPki, type TestPki } from '../helpers/tls-certs.js'

describe('deliveries over TLS', () => {
  let pki: TestPki
  let trusting: TestServer
  let defaults: TestServer
  let signed: Receiver
  let selfSigned: Receiver
  let otherName: Receiver
  let tenants = 0

  beforeAll(async () => {
    pki = makeTestPki()
    signed = await startReceiver(undefined, { tls: pki.localhost })
    selfSigned = await startReceiver(undefined, { tls: pki.selfSigned })
    otherName = await startReceiver(undefined, { tls: pki.otherName })
    trusting = await startTestServer({ caCerts: pki.ca })
    defaults = await startTestServer()
  })
  afterAll(async () => {
    for (const r of [signed, selfSigned, otherName]) await r?.close()
    await trusting?.close()
    await defaults?.close()
    pki?.remove()
  })

  async function endpointOn(srv: TestServer, body: Record<string, unknown>): Promise<{ t: string; id: string }> {
    const t = `tls-${++tenants}`
    expect((await srv.api('POST', '/v1/tenants', { id: t, name: t })).status).toBe(201)
    const ep = await srv.api('POST', `/v1/tenants/${t}/endpoints`, body)
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    return { t, id: ep.body.id }
  }
  async function testSend(srv: TestServer, url: string): Promise<any> {
    const { t, id } = await endpointOn(srv, { url })
    const res = await srv.api('POST', `/v1/tenants/${t}/endpoints/${id}/test`, {})
    expect(res.status).toBe(200)
    return res.body
  }

  it('delivers to a receiver whose certificate the HOOKRELAY_CA_CERTS CA signed, by name and by address', async () => {
    const before = signed.hits.length
    for (const url of [`https://localhost:${signed.port}/hook`, `${signed.url}/hook`]) {
      const attempt = await testSend(trusting, url)
      expect(attempt.error).toBeNull()
      expect(attempt).toMatchObject({ success: true, response: { status: 200 } })
    }
    expect(signed.hits.length - before).toBe(2)
  })

  it('the extra CA trusts what it signed, nothing more: a self-signed certificate still fails', async () => {
    const attempt = await testSend(trusting, `${selfSigned.url}/hook`)
    expect(attempt.error).toMatchObject({ kind: 'tls', message: expect.stringContaining('DEPTH_ZERO_SELF_SIGNED_CERT') })
    expect(selfSigned.hits).toHaveLength(0)
  })

  it('without the setting the same receiver fails with kind tls, and nothing reaches it', async () => {
    const before = signed.hits.length
    const attempt = await testSend(defaults, `${signed.url}/hook`)
    expect(attempt).toMatchObject({ success: false, response: null })
    expect(attempt.error).toMatchObject({ kind: 'tls', message: expect.stringContaining('UNABLE_TO_VERIFY_LEAF_SIGNATURE') })
    expect(signed.hits.length).toBe(before)
  })

  it('a certificate for another name fails with kind tls even from a trusted CA', async () => {
    const attempt = await testSend(trusting, `https://localhost:${otherName.port}/hook`)
    expect(attempt.error).toMatchObject({ kind: 'tls', message: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID') })
    expect(otherName.hits).toHaveLength(0)
  })

  it('a tls failure is retried as network failures are, up to maxRetries, then the delivery fails', async () => {
    const { t } = await endpointOn(defaults, { url: `${signed.url}/hook`, retry: { maxRetries: 1, schedule: [1] } })
    const pub = await defaults.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: {} })
    expect(pub.status).toBe(202)
    const d = await eventually(async () => {
      const list = await defaults.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)
      const id = list.body.data[0]?.id
      const one = id ? await defaults.api('GET', `/v1/tenants/${t}/deliveries/${id}`) : null
      return one && one.body.status !== 'pending' ? one.body : null
    }, 10_000)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 2 })
    expect(d.attempts.map((a: any) => a.error?.kind)).toEqual(['tls', 'tls'])
  })
})

describe('HOOKRELAY_REQUIRE_HTTPS', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-https-'))
  let pki: TestPki
  let plain: Receiver
  let secure: Receiver
  let srv: TestServer | undefined

  beforeAll(async () => {
    pki = makeTestPki()
    plain = await startReceiver()
    secure = await startReceiver(undefined, { tls: pki.localhost })
  })
  afterAll(async () => {
    await plain?.close()
    await secure?.close()
    await srv?.close()
    pki?.remove()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('fails endpoints stored before it was set with kind blocked, sending nothing; refuses new http:// URLs with 422', async () => {
    const before = await startTestServer({ dataDir })
    expect((await before.api('POST', '/v1/tenants', { id: 'rh', name: 'rh' })).status).toBe(201)
    const old = await before.api('POST', '/v1/tenants/rh/endpoints', { url: `${plain.url}/old`, eventTypes: ['order.*'] })
    expect(old.status).toBe(201)
    await before.close()

    srv = await startTestServer({ dataDir, requireHttps: true, caCerts: pki.ca })
    const refused = await srv.api('POST', '/v1/tenants/rh/endpoints', { url: `${plain.url}/new` })
    expect(refused.status).toBe(422)
    expect(refused.body).toMatchObject({ code: 'validation_failed', errors: [{ path: '/url', message: expect.stringMatching(/https/) }] })
    const patched = await srv.api('PATCH', `/v1/tenants/rh/endpoints/${old.body.id}`, { url: `${plain.url}/other` })
    expect(patched.status).toBe(422)
    expect(patched.body.code).toBe('validation_failed')
    // A change that leaves the URL alone is still allowed on an endpoint stored before.
    expect((await srv.api('PATCH', `/v1/tenants/rh/endpoints/${old.body.id}`, { name: 'legacy' })).status).toBe(200)
    const https = await srv.api('POST', '/v1/tenants/rh/endpoints', { url: `${secure.url}/new`, eventTypes: ['order.*'] })
    expect(https.status).toBe(201)

    const pub = await srv.api('POST', '/v1/tenants/rh/events', { type: 'order.created', payload: {} })
    expect(pub.body.deliveryCount).toBe(2)
    const final = await eventually(async () => {
      const list = await srv!.api('GET', `/v1/tenants/rh/deliveries?eventId=${pub.body.id}`)
      return list.body.data.length === 2 && list.body.data.every((x: any) => x.status !== 'pending') ? list.body.data : null
    }, 10_000)
    const toOld = await srv.api('GET', `/v1/tenants/rh/deliveries/${final.find((x: any) => x.endpointId === old.body.id).id}`)
    expect(toOld.body).toMatchObject({ status: 'failed', attemptCount: 1 })
    expect(toOld.body.attempts[0].error).toMatchObject({ kind: 'blocked', message: expect.stringContaining('HOOKRELAY_REQUIRE_HTTPS') })
    expect(final.find((x: any) => x.endpointId === https.body.id).status).toBe('succeeded')
    expect(plain.hits).toHaveLength(0)
    expect(secure.hits).toHaveLength(1)

    // A test send to the old endpoint is blocked the same way.
    const test = await srv.api('POST', `/v1/tenants/rh/endpoints/${old.body.id}/test`, {})
    expect(test.body.error).toMatchObject({ kind: 'blocked' })
    expect(plain.hits).toHaveLength(0)
  })
})
