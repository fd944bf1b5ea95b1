/**
 * API.md "Endpoints": header values whose name reads as a credential are sealed at rest and never
 * returned or logged in full, as `auth` is. The receiver gets them whole; the API (create, get,
 * list, patch), the database and the attempt log do not, including values rendered from tenant
 * metadata and the webhook-signature. A PATCH that echoes a masked value keeps the stored one; an
 * endpoint saved with such a value in the clear (before sealing) keeps working.
 * Real server, real receiver on 127.0.0.1, SQLite or PostgreSQL (HOOKRELAY_TEST_STORE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRows, rawSql } from '../helpers/raw-sql.js'
import { startReceiver, type Receiver, type ReceiverHit } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { storedBytes } from '../helpers/stored-bytes.js'
import { DELIVERY_WAIT_MS, expectAttemptShape, useApiServer } from './api-support.js'

const T = '/v1/tenants/creds'
/** Every literal secret below carries this marker, so one search finds any of them. */
const MARK = 'HDRSECRET'
const META_TOKEN = 'meta-token-0123456789abcdef'

describe('credential headers: sealed, masked, delivered whole', () => {
  const ctx = useApiServer()
  let rcv: Receiver
  beforeAll(async () => {
    rcv = await startReceiver()
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'creds', name: 'Creds', metadata: { apiToken: META_TOKEN } })).status).toBe(201)
  })
  afterAll(async () => {
    await rcv?.close()
  })

  const hitAt = (path: string, after = 0): Promise<ReceiverHit> =>
    eventually(async () => rcv.hits.slice(after).find((h) => h.url === path), DELIVERY_WAIT_MS)

  it('delivers them whole, and neither the API, the database nor the attempt log holds them', async () => {
    const headers = {
      Authorization: `Bearer sk_live_${MARK}_0001`,
      'X-Api-Key': `key_${MARK}_0002`,
      Cookie: `session=${MARK}_0003`,
      'X-Tenant-Token': '{{ tenant.metadata.apiToken }}',
      'X-Env': 'prod',
    }
    const shown = { Authorization: 'Bearer ****0001', 'X-Api-Key': '****0002', Cookie: '****0003', 'X-Tenant-Token': '****n }}', 'X-Env': 'prod' }
    const created = await ctx.srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/sealed`, name: 'sealed headers', headers })
    expect(created.status).toBe(201)
    expect(created.body.headers).toEqual(shown)
    const read = await ctx.srv.api('GET', `${T}/endpoints/${created.body.id}`)
    expect(read.body).toEqual(created.body)
    const listed = await ctx.srv.api('GET', `${T}/endpoints`)
    const patched = await ctx.srv.api('PATCH', `${T}/endpoints/${created.body.id}`, { description: 'still sealed' })
    expect(patched.body.headers).toEqual(shown)
    for (const res of [created, read, listed, patched]) expect(JSON.stringify(res.body)).not.toContain(MARK)

    // Only the header that is no credential is in the clear in the row; the others are sealed apart.
    const [row] = await rawRows<{ headers: string; sealed_headers: string }>(ctx.srv, 'SELECT headers, sealed_headers FROM endpoints WHERE id = ?', [created.body.id])
    expect(JSON.parse(row!.headers)).toEqual({ 'X-Env': 'prod' })
    const sealed = JSON.parse(row!.sealed_headers) as Record<string, { sealed: string; hint: string }>
    expect(Object.keys(sealed).sort()).toEqual(['Authorization', 'Cookie', 'X-Api-Key', 'X-Tenant-Token'])
    for (const v of Object.values(sealed)) expect(v.sealed).toMatch(/^v1:/)

    const pub = await ctx.srv.api('POST', `${T}/events`, { type: 'invoice.paid', payload: { n: 1 } })
    expect(pub.status).toBe(202)
    const hit = await hitAt('/sealed')
    expect(hit.headers).toMatchObject({
      authorization: headers.Authorization,
      'x-api-key': headers['X-Api-Key'],
      cookie: headers.Cookie,
      'x-tenant-token': META_TOKEN,
      'x-env': 'prod',
    })
    const attempt = await eventually(async () => {
      const list = await ctx.srv.api('GET', `${T}/deliveries?eventId=${pub.body.id}&endpointId=${created.body.id}`)
      const d = list.body.data?.[0]
      if (!d || d.status === 'pending') return null
      return (await ctx.srv.api('GET', `${T}/deliveries/${d.id}`)).body.attempts[0]
    }, DELIVERY_WAIT_MS)
    expectAttemptShape(attempt, 'scheduled')
    const signature = String(hit.headers['webhook-signature'])
    expect(attempt.request.headers).toMatchObject({
      authorization: 'Bearer ****0001',
      'x-api-key': '****0002',
      cookie: '****0003',
      // Rendered from the tenant's metadata: masked by its name all the same.
      'x-tenant-token': '****cdef',
      'x-env': 'prod',
      'webhook-id': pub.body.id,
      'webhook-signature': `v1,****${signature.slice(-4)}`,
    })
    expect(JSON.stringify(attempt)).not.toContain(MARK)
    expect(JSON.stringify(attempt)).not.toContain(META_TOKEN)

    const bytes = await storedBytes(ctx.srv)
    expect(bytes.includes('sealed headers')).toBe(true) // the endpoint is there...
    expect(bytes.includes(MARK)).toBe(false) // ...its credential headers are not, nor is the signature sent
    expect(bytes.includes(signature.slice('v1,'.length))).toBe(false)
  })

  it('an attempt recorded before credential headers were masked shows them masked', async () => {
    const ep = await ctx.srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/old-log` })
    const sent = await ctx.srv.api('POST', `${T}/endpoints/${ep.body.id}/test`)
    expect(sent.status).toBe(200)
    // As an earlier release logged it: every header whole.
    const whole = { ...sent.body.request.headers, authorization: `Bearer sk_live_${MARK}_0008`, 'x-api-key': `key_${MARK}_0009`, 'webhook-signature': `v1,${MARK}0123456789abcdef=` }
    await rawSql(ctx.srv, 'UPDATE attempts SET request_headers = ? WHERE id = ?', [JSON.stringify(whole), sent.body.id])
    const detail = await ctx.srv.api('GET', `${T}/deliveries/${sent.body.deliveryId}`)
    expect(detail.status).toBe(200)
    expect(detail.body.attempts[0].request.headers).toMatchObject({ authorization: 'Bearer ****0008', 'x-api-key': '****0009', 'webhook-signature': 'v1,****def=', 'webhook-id': whole['webhook-id'] })
    expect(JSON.stringify(detail.body)).not.toContain(MARK)
  })

  it('a PATCH that echoes the masked values keeps the stored ones; a new value replaces its own', async () => {
    const auth = `Bearer sk_live_${MARK}_0004`
    const ep = await ctx.srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/echo`, headers: { Authorization: auth, 'X-Api-Key': `key_${MARK}_0005`, 'X-Env': 'a' } })
    expect(ep.status).toBe(201)
    const id = ep.body.id as string
    // The endpoint as read, written back with one plain header changed.
    const echoed = await ctx.srv.api('PATCH', `${T}/endpoints/${id}`, { headers: { ...ep.body.headers, 'X-Env': 'b' } })
    expect(echoed.status).toBe(200)
    expect(echoed.body.headers).toEqual({ Authorization: 'Bearer ****0004', 'X-Api-Key': '****0005', 'X-Env': 'b' })
    let before = rcv.hits.length
    const sent = await ctx.srv.api('POST', `${T}/endpoints/${id}/test`)
    expect(sent.status).toBe(200)
    expect(sent.body.request.headers).toMatchObject({ authorization: 'Bearer ****0004', 'x-api-key': '****0005', 'x-env': 'b' })
    expect(JSON.stringify(sent.body)).not.toContain(MARK)
    expect((await hitAt('/echo', before)).headers).toMatchObject({ authorization: auth, 'x-api-key': `key_${MARK}_0005`, 'x-env': 'b' })

    // A new value for one header, the other echoed, one dropped: each as asked.
    const replaced = await ctx.srv.api('PATCH', `${T}/endpoints/${id}`, { headers: { authorization: `Bearer sk_live_${MARK}_0006`, 'X-Env': 'c' } })
    expect(replaced.status).toBe(200)
    expect(replaced.body.headers).toEqual({ authorization: 'Bearer ****0006', 'X-Env': 'c' })
    before = rcv.hits.length
    expect((await ctx.srv.api('POST', `${T}/endpoints/${id}/test`)).status).toBe(200)
    const hit = await hitAt('/echo', before)
    expect(hit.headers.authorization).toBe(`Bearer sk_live_${MARK}_0006`)
    expect(hit.headers['x-api-key']).toBeUndefined()
  })

  it('an endpoint saved with a credential header in the clear keeps working, masked, and is sealed when written back', async () => {
    const legacy = `key_${MARK}_0007`
    const ep = await ctx.srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/legacy`, headers: { 'X-Env': 'prod' } })
    expect(ep.status).toBe(201)
    const id = ep.body.id as string
    // As a release before sealing stored it: every header in the clear in `headers`.
    await rawSql(ctx.srv, 'UPDATE endpoints SET headers = ? WHERE id = ?', [JSON.stringify({ 'X-Api-Key': legacy, 'X-Env': 'prod' }), id])
    const read = await ctx.srv.api('GET', `${T}/endpoints/${id}`)
    expect(read.body.headers).toEqual({ 'X-Api-Key': '****0007', 'X-Env': 'prod' })

    let before = rcv.hits.length
    const sent = await ctx.srv.api('POST', `${T}/endpoints/${id}/test`)
    expect(sent.status).toBe(200)
    expect(sent.body.request.headers['x-api-key']).toBe('****0007')
    expect((await hitAt('/legacy', before)).headers['x-api-key']).toBe(legacy)

    const written = await ctx.srv.api('PATCH', `${T}/endpoints/${id}`, { headers: read.body.headers })
    expect(written.status).toBe(200)
    expect(written.body.headers).toEqual(read.body.headers)
    const [row] = await rawRows<{ headers: string; sealed_headers: string }>(ctx.srv, 'SELECT headers, sealed_headers FROM endpoints WHERE id = ?', [id])
    expect(row!.headers).not.toContain(MARK)
    expect(JSON.parse(row!.sealed_headers)).toEqual({ 'X-Api-Key': { sealed: expect.stringMatching(/^v1:/), hint: '****0007' } })
    before = rcv.hits.length
    expect((await ctx.srv.api('POST', `${T}/endpoints/${id}/test`)).status).toBe(200)
    expect((await hitAt('/legacy', before)).headers['x-api-key']).toBe(legacy)
  })
})
