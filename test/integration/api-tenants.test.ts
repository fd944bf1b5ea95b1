/**
 * API.md "Tenants and keys" and "Lists": tenant CRUD, ids, metadata limits and pagination.
 * Network rule: the only traffic is to the server on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest'
import { expectInvalid, expectList, expectProblem, ISO, useApiServer, walkPages } from './api-support.js'

const TENANT_KEYS = ['allowedNetworks', 'createdAt', 'id', 'metadata', 'name', 'updatedAt']

describe('API tenants', () => {
  const ctx = useApiServer()

  it('U+0000 in a name, description or URL is a 422 on every store (PostgreSQL text cannot hold it)', async () => {
    const nul = 'a\u0000b'
    expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id: 'nul-t', name: nul }), '/name')
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'nul-t', name: 'ok' })).status).toBe(201)
    expectInvalid(await ctx.srv.api('PATCH', '/v1/tenants/nul-t', { name: nul }), '/name')
    expectInvalid(await ctx.srv.api('POST', '/v1/tenants/nul-t/api-keys', { name: nul }), '/name')
    for (const [field, value] of [['name', nul], ['description', nul], ['url', `http://127.0.0.1:9/${nul}`]]) {
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants/nul-t/endpoints', { url: 'http://127.0.0.1:9/x', [field!]: value }), `/${field}`)
    }
    expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'nul.type', description: nul }), '/description')
    expectInvalid(await ctx.srv.api('POST', '/v1/tenants/nul-t/routes', { name: 'r', upstreamUrl: `http://127.0.0.1:9/${nul}` }), '/upstreamUrl')
    expect((await ctx.srv.api('GET', '/v1/tenants/nul-t')).body.name).toBe('ok')
  })

  it('U+0000 in a path parameter names nothing (404), and in a query value is a 422 naming it, on every store', async () => {
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'nul-p', name: 'p' })).status).toBe(201)
    for (const [method, path] of [
      ['GET', '/v1/tenants/p%00'],
      ['GET', '/v1/tenants/p%00/endpoints'],
      ['GET', '/v1/tenants/nul-p/endpoints/ep_%00'],
      ['DELETE', '/v1/tenants/nul-p/endpoints/ep_%00'],
      ['GET', '/v1/tenants/nul-p/events/evt_%00'],
      ['GET', '/v1/event-types/a%00b'],
    ] as const) {
      expectProblem(await ctx.srv.api(method, path), 404, 'not_found')
    }
    // The publish path and the ingest and gateway paths, which take no bearer token, likewise.
    expectProblem(await ctx.srv.api('POST', '/v1/tenants/p%00/events', { type: 'a.b', payload: {} }), 404, 'not_found')
    for (const path of ['/in/src_%00x', '/in/src_%00x/track', '/gw/nul-p/r%00']) {
      expectProblem(await ctx.srv.api('POST', path, { event_type: 'a.b' }, { token: null }), 404, 'not_found')
    }
    expectInvalid(await ctx.srv.api('GET', '/v1/tenants/nul-p/events?type=a%00b'), '/query/type')
    expectInvalid(await ctx.srv.api('GET', '/v1/tenants/nul-p/endpoints?limit=5&cursor=%00'), '/query/cursor')
    expect((await ctx.srv.api('GET', '/v1/tenants/nul-p/events?type=a%01b')).status).toBe(200)
  })

  describe('create', () => {
    it('with a chosen id: 201 and the tenant shape', async () => {
      const res = await ctx.srv.api('POST', '/v1/tenants', { id: 'acme', name: 'Acme', metadata: { plan: 'pro', seats: 5 } })
      expect(res.status).toBe(201)
      expect(res.body).toEqual({
        id: 'acme',
        name: 'Acme',
        metadata: { plan: 'pro', seats: 5 },
        allowedNetworks: null,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      })
      expect(Object.keys(res.body).sort()).toEqual(TENANT_KEYS)
    })

    it('without an id: a generated tn_ id and empty metadata', async () => {
      const res = await ctx.srv.api('POST', '/v1/tenants', { name: 'Generated' })
      expect(res.status).toBe(201)
      expect(res.body).toEqual({ id: expect.stringMatching(/^tn_/), name: 'Generated', metadata: {}, allowedNetworks: null, createdAt: expect.stringMatching(ISO), updatedAt: expect.stringMatching(ISO) })
      expect(res.body.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
      const again = await ctx.srv.api('POST', '/v1/tenants', { name: 'Generated' })
      expect(again.body.id).not.toBe(res.body.id)
    })

    it('409 tenant_exists on a duplicate id, and the original is kept', async () => {
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'dup-1', name: 'First' })).status).toBe(201)
      expectProblem(await ctx.srv.api('POST', '/v1/tenants', { id: 'dup-1', name: 'Second' }), 409, 'tenant_exists')
      expect((await ctx.srv.api('GET', '/v1/tenants/dup-1')).body.name).toBe('First')
    })

    it.each([
      ['a space', 'has space'],
      ['a dot', 'a.b'],
      ['a slash', 'a/b'],
      ['a non-ASCII letter', 'café'],
      ['65 characters', 'x'.repeat(65)],
      ['the empty string', ''],
    ])('an id with %s is a 422 naming /id', async (_what, id) => {
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id, name: 'Bad' }), '/id')
    })

    it('ids starting with an underscore are reserved: 422 reserved_tenant, and _operator cannot be deleted', async () => {
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id: '_mine', name: 'Mine' }), '/id', 'reserved_tenant')
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/_mine'), 404, 'not_found')
      expectProblem(await ctx.srv.api('DELETE', '/v1/tenants/_operator'), 422, 'reserved_tenant')
      expect((await ctx.srv.api('GET', '/v1/tenants/_operator')).status).toBe(200)
    })

    it('accepts every character of [A-Za-z0-9_-] and exactly 64 of them', async () => {
      const long = 'A'.repeat(60) + 'z-9_'
      expect(long).toHaveLength(64)
      const res = await ctx.srv.api('POST', '/v1/tenants', { id: long, name: 'Long' })
      expect(res.status).toBe(201)
      expect(res.body.id).toBe(long)
      expect((await ctx.srv.api('GET', `/v1/tenants/${long}`)).body.id).toBe(long)
    })

    it('a missing name, a wrong type or an unknown field is a 422', async () => {
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id: 'no-name' }), '/name')
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id: 'meta-array', name: 'x', metadata: [1, 2] }), '/metadata')
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id: 'extra', name: 'x', plan: 'pro' }), '/plan')
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/no-name'), 404, 'not_found')
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/extra'), 404, 'not_found')
    })

    it('metadata over 16 KiB is a 422 naming /metadata; 16 KiB fits', async () => {
      const big = { blob: 'x'.repeat(16 * 1024) }
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants', { id: 'big-meta', name: 'Big', metadata: big }), '/metadata')
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/big-meta'), 404, 'not_found')
      const fits = { blob: 'x'.repeat(16 * 1024 - 20) }
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'fit-meta', name: 'Fits', metadata: fits })).status).toBe(201)
      expectInvalid(await ctx.srv.api('PATCH', '/v1/tenants/fit-meta', { metadata: big }), '/metadata')
      expect((await ctx.srv.api('GET', '/v1/tenants/fit-meta')).body.metadata).toEqual(fits)
    })

    it('malformed JSON is a 400 malformed_json problem', async () => {
      expectProblem(await ctx.srv.api('POST', '/v1/tenants', '{"id": "x", "name": '), 400, 'malformed_json')
    })
  })

  describe('get, patch, delete', () => {
    it('GET returns what POST stored', async () => {
      const created = await ctx.srv.api('POST', '/v1/tenants', { id: 'getme', name: 'Get me', metadata: { a: { b: [1, 'two', null] } } })
      const got = await ctx.srv.api('GET', '/v1/tenants/getme')
      expect(got.status).toBe(200)
      expect(got.body).toEqual(created.body)
    })

    it('PATCH changes the fields given, keeps the rest and moves updatedAt', async () => {
      const created = await ctx.srv.api('POST', '/v1/tenants', { id: 'patchme', name: 'Before', metadata: { keep: true } })
      const renamed = await ctx.srv.api('PATCH', '/v1/tenants/patchme', { name: 'After' })
      expect(renamed.status).toBe(200)
      expect(renamed.body).toEqual({ ...created.body, name: 'After', updatedAt: expect.stringMatching(ISO) })
      expect(Date.parse(renamed.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt))
      const meta = await ctx.srv.api('PATCH', '/v1/tenants/patchme', { metadata: { replaced: 1 } })
      expect(meta.body).toMatchObject({ id: 'patchme', name: 'After', metadata: { replaced: 1 }, createdAt: created.body.createdAt })
      expect((await ctx.srv.api('GET', '/v1/tenants/patchme')).body).toEqual(meta.body)
      expectInvalid(await ctx.srv.api('PATCH', '/v1/tenants/patchme', { id: 'other' }), '/id')
      expectInvalid(await ctx.srv.api('PATCH', '/v1/tenants/patchme', { name: '' }), '/name')
      expectInvalid(await ctx.srv.api('PATCH', '/v1/tenants/patchme', { name: { first: 'x' } }), '/name')
      expectInvalid(await ctx.srv.api('PATCH', '/v1/tenants/patchme', { name: 42 }), '/name')
    })

    it('DELETE answers 204, then the tenant and its resources are gone', async () => {
      await ctx.srv.api('POST', '/v1/tenants', { id: 'deleteme', name: 'Doomed' })
      const del = await ctx.srv.api('DELETE', '/v1/tenants/deleteme')
      expect(del.status).toBe(204)
      expect(del.body).toBe(null)
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/deleteme'), 404, 'not_found')
      expectProblem(await ctx.srv.api('DELETE', '/v1/tenants/deleteme'), 404, 'not_found')
      expectProblem(await ctx.srv.api('POST', '/v1/tenants/deleteme/events', { type: 'a.b', payload: {} }), 404, 'not_found')
      // The id is free again.
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'deleteme', name: 'Reborn' })).status).toBe(201)
    })

    it.each([
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ])('%s of an unknown tenant is a 404 problem', async (method, body) => {
      expectProblem(await ctx.srv.api(method, '/v1/tenants/no-such-tenant', body), 404, 'not_found')
    })

    it('the unknown tenant 404 also holds for its sub-resources', async () => {
      for (const list of ['api-keys', 'endpoints', 'events', 'deliveries']) {
        expectProblem(await ctx.srv.api('GET', `/v1/tenants/no-such-tenant/${list}`), 404, 'not_found')
      }
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/no-such-tenant/api-keys'), 404, 'not_found')
      expectProblem(await ctx.srv.api('POST', '/v1/tenants/no-such-tenant/api-keys', { name: 'k' }), 404, 'not_found')
      expectProblem(await ctx.srv.api('POST', '/v1/tenants/no-such-tenant/endpoints', { url: 'http://127.0.0.1:1/x' }), 404, 'not_found')
      expectProblem(await ctx.srv.api('POST', '/v1/tenants/no-such-tenant/events', { type: 'a.b', payload: {} }), 404, 'not_found')
    })
  })

  describe('list', () => {
    it('pages with limit and nextCursor, every tenant exactly once', async () => {
      const ids = Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`)
      for (const id of ids) expect((await ctx.srv.api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)

      const all = await walkPages(ctx.srv, '/v1/tenants', 250)
      const { items, pages } = await walkPages(ctx.srv, '/v1/tenants', 5)
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(all.items.length / 5))
      expect(items.map((t) => t.id)).toEqual(all.items.map((t) => t.id))
      expect(new Set(items.map((t) => t.id)).size).toBe(items.length)
      expect(items.map((t) => t.id)).toEqual(expect.arrayContaining(ids))
      for (const t of items) expect(Object.keys(t).sort()).toEqual(TENANT_KEYS)

      // A full first page says there may be more; the walk ends with null.
      const first = await ctx.srv.api('GET', '/v1/tenants?limit=5')
      expect(expectList(first)).toHaveLength(5)
      expect(typeof first.body.nextCursor).toBe('string')
      const second = await ctx.srv.api('GET', `/v1/tenants?limit=5&cursor=${encodeURIComponent(first.body.nextCursor)}`)
      const secondIds = expectList(second).map((t) => t.id)
      expect(secondIds.some((id) => first.body.data.some((t: { id: string }) => t.id === id))).toBe(false)
    })

    it('defaults to 50 per page', async () => {
      for (let i = 0; i < 55; i++) await ctx.srv.api('POST', '/v1/tenants', { id: `bulk-${i}`, name: 'b' })
      const res = await ctx.srv.api('GET', '/v1/tenants')
      expect(expectList(res)).toHaveLength(50)
      expect(typeof res.body.nextCursor).toBe('string')
    })

    it('a page past the end is empty with a null cursor', async () => {
      const all = await walkPages(ctx.srv, '/v1/tenants', 250)
      const total = all.items.length
      expect(total).toBeGreaterThan(1)
      expect(total).toBeLessThan(250)
      // A page that happens to be exactly full still offers a cursor; what follows is empty.
      const full = await ctx.srv.api('GET', `/v1/tenants?limit=${total}`)
      expect(expectList(full)).toHaveLength(total)
      expect(typeof full.body.nextCursor).toBe('string')
      const after = await ctx.srv.api('GET', `/v1/tenants?limit=${total}&cursor=${encodeURIComponent(full.body.nextCursor)}`)
      expect(after.body).toEqual({ data: [], nextCursor: null })
      const short = await ctx.srv.api('GET', `/v1/tenants?limit=${total + 1}`)
      expect(expectList(short)).toHaveLength(total)
      expect(short.body.nextCursor).toBe(null)
    })

    it.each(['0', '251', '-1', 'abc', '1.5'])('limit=%s is a 422', async (limit) => {
      expectInvalid(await ctx.srv.api('GET', `/v1/tenants?limit=${limit}`), '/query/limit')
    })

    it.each(['!!!', 'zzzz', 'not-a-cursor', Buffer.from('a b').toString('base64url')])('cursor=%s, not one a list returned, is a 422 invalid_cursor', async (cursor) => {
      expectInvalid(await ctx.srv.api('GET', `/v1/tenants?cursor=${encodeURIComponent(cursor)}`), '/query/cursor', 'invalid_cursor')
    })

    it('limit 1 and 250 are accepted', async () => {
      expect(expectList(await ctx.srv.api('GET', '/v1/tenants?limit=1'))).toHaveLength(1)
      expect((await ctx.srv.api('GET', '/v1/tenants?limit=250')).status).toBe(200)
    })
  })
})
