/**
 * API.md "Event types": CRUD, name rules and duplicates.
 * Network rule: the only traffic is to the server on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest'
import { expectInvalid, expectList, expectProblem, ISO, useApiServer, walkPages } from './api-support.js'

describe('API event types', () => {
  const ctx = useApiServer()

  it('POST creates with defaults for the optional fields', async () => {
    const res = await ctx.srv.api('POST', '/v1/event-types', { name: 'invoice.paid' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ name: 'invoice.paid' })
    expect(res.body.createdAt).toMatch(ISO)
    expect(res.body.updatedAt).toMatch(ISO)
    expect(res.body.description).toBe('')
  })

  it('POST keeps description, schema and example, and GET returns them', async () => {
    const body = {
      name: 'user.signed_up',
      description: 'A user finished sign-up.',
      schema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] },
      example: { email: 'a@example.com' },
    }
    const created = await ctx.srv.api('POST', '/v1/event-types', body)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject(body)
    const got = await ctx.srv.api('GET', '/v1/event-types/user.signed_up')
    expect(got.status).toBe(200)
    expect(got.body).toEqual(created.body)
  })

  it('accepts names of dot-separated [a-z0-9_-] segments up to 128 characters', async () => {
    for (const name of ['a', 'order-2.line_item.created', 'x'.repeat(128), 'a.b.c.d.e']) {
      const res = await ctx.srv.api('POST', '/v1/event-types', { name })
      expect({ name, status: res.status }).toEqual({ name, status: 201 })
    }
  })

  it.each([
    ['an upper-case letter', 'Bad.Name'],
    ['an empty segment', 'a..b'],
    ['a leading dot', '.a'],
    ['a trailing dot', 'a.'],
    ['a space', 'a b'],
    ['a wildcard', 'invoice.*'],
    ['129 characters', 'x'.repeat(129)],
    ['the empty string', ''],
  ])('a name with %s is a 422 naming /name', async (_what, name) => {
    expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name }), '/name')
  })

  it('a duplicate name is a 409 event_type_exists and keeps the original', async () => {
    await ctx.srv.api('POST', '/v1/event-types', { name: 'dup.type', description: 'first' })
    expectProblem(await ctx.srv.api('POST', '/v1/event-types', { name: 'dup.type', description: 'second' }), 409, 'event_type_exists')
    expect((await ctx.srv.api('GET', '/v1/event-types/dup.type')).body.description).toBe('first')
  })

  it('an unknown field, a non-object schema or a too long description is a 422', async () => {
    expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'x.extra', colour: 'red' }), '/colour')
    expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'x.schema', schema: 'not a schema' }), '/schema')
    expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'x.desc', description: 'd'.repeat(1025) }), '/description')
    expectInvalid(await ctx.srv.api('POST', '/v1/event-types', {}), '/name')
    for (const name of ['x.extra', 'x.schema', 'x.desc']) expectProblem(await ctx.srv.api('GET', `/v1/event-types/${name}`), 404, 'not_found')
  })

  it('PATCH changes the given fields and keeps the rest', async () => {
    const created = await ctx.srv.api('POST', '/v1/event-types', { name: 'patch.me', description: 'before', example: { a: 1 } })
    const patched = await ctx.srv.api('PATCH', '/v1/event-types/patch.me', { description: 'after' })
    expect(patched.status).toBe(200)
    expect(patched.body).toEqual({ ...created.body, description: 'after', updatedAt: expect.stringMatching(ISO) })
    const cleared = await ctx.srv.api('PATCH', '/v1/event-types/patch.me', { example: null })
    expect(cleared.body).toMatchObject({ name: 'patch.me', description: 'after', example: null })
    expect((await ctx.srv.api('GET', '/v1/event-types/patch.me')).body).toEqual(cleared.body)
    // The name is the identity: it cannot be patched.
    expectInvalid(await ctx.srv.api('PATCH', '/v1/event-types/patch.me', { name: 'other.name' }), '/name')
  })

  it('DELETE answers 204 and the type is gone', async () => {
    await ctx.srv.api('POST', '/v1/event-types', { name: 'delete.me' })
    const del = await ctx.srv.api('DELETE', '/v1/event-types/delete.me')
    expect(del.status).toBe(204)
    expectProblem(await ctx.srv.api('GET', '/v1/event-types/delete.me'), 404, 'not_found')
    expectProblem(await ctx.srv.api('DELETE', '/v1/event-types/delete.me'), 404, 'not_found')
    // The name may be used again.
    expect((await ctx.srv.api('POST', '/v1/event-types', { name: 'delete.me' })).status).toBe(201)
  })

  it('built-in types cannot be deleted, but can be described', async () => {
    for (const name of ['webhook.test', 'request.received', 'endpoint.disabled']) {
      expectProblem(await ctx.srv.api('DELETE', `/v1/event-types/${name}`), 409, 'event_type_built_in')
      expect((await ctx.srv.api('GET', `/v1/event-types/${name}`)).status).toBe(200)
    }
    expect((await ctx.srv.api('PATCH', '/v1/event-types/webhook.test', { description: 'Our test pings' })).body.description).toBe('Our test pings')
  })

  it('GET, PATCH and DELETE of an unknown type are 404 problems', async () => {
    expectProblem(await ctx.srv.api('GET', '/v1/event-types/no.such.type'), 404, 'not_found')
    expectProblem(await ctx.srv.api('PATCH', '/v1/event-types/no.such.type', { description: 'x' }), 404, 'not_found')
    expectProblem(await ctx.srv.api('DELETE', '/v1/event-types/no.such.type'), 404, 'not_found')
  })

  it('lists with pagination, every type once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `list.t${String(i).padStart(2, '0')}`)
    for (const name of names) await ctx.srv.api('POST', '/v1/event-types', { name })
    const { items, pages } = await walkPages(ctx.srv, '/v1/event-types', 4)
    const listed = items.map((t) => t.name)
    expect(listed).toEqual(expect.arrayContaining(names))
    expect(new Set(listed).size).toBe(listed.length)
    expect(pages).toBeGreaterThanOrEqual(3)
    const first = await ctx.srv.api('GET', '/v1/event-types?limit=4')
    expect(expectList(first)).toHaveLength(4)
    expect(typeof first.body.nextCursor).toBe('string')
    for (const t of items) expect(t).toMatchObject({ name: expect.any(String), createdAt: expect.stringMatching(ISO) })
    expectInvalid(await ctx.srv.api('GET', '/v1/event-types?limit=0'), '/query/limit')
    expectInvalid(await ctx.srv.api('GET', '/v1/event-types?limit=251'), '/query/limit')
  })

  describe('JSON Schema', () => {
    it('refuses an invalid schema, and publishes of a payload that does not validate', async () => {
      expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.bad', schema: { type: 'no-such-type' } }), '/schema')
      const schema = { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } }
      expect((await ctx.srv.api('POST', '/v1/event-types', { name: 'invoice.schemaed', schema })).status).toBe(201)
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'sch', name: 'Schemas' })).status).toBe(201)
      const ok = await ctx.srv.api('POST', '/v1/tenants/sch/events', { type: 'invoice.schemaed', payload: { amount: 3 } })
      expect(ok.status).toBe(202)
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants/sch/events', { type: 'invoice.schemaed', payload: {} }), '/payload/amount')
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants/sch/events', { type: 'invoice.schemaed', payload: { amount: 'x' } }), '/payload/amount')
      // A changed schema applies to the next publish.
      const patched = await ctx.srv.api('PATCH', '/v1/event-types/invoice.schemaed', { schema: { type: 'object', required: ['currency'] } })
      expect(patched.status).toBe(200)
      expectInvalid(await ctx.srv.api('POST', '/v1/tenants/sch/events', { type: 'invoice.schemaed', payload: { amount: 3 } }), '/payload/currency')
      // Types without a schema take any object.
      expect((await ctx.srv.api('POST', '/v1/tenants/sch/events', { type: 'free.form', payload: { anything: [1] } })).status).toBe(202)
    })

    it('a schema on a built-in type documents it and is not enforced: the server makes those payloads', async () => {
      const patched = await ctx.srv.api('PATCH', '/v1/event-types/delivery.failed', { schema: { type: 'object', required: ['zzz'] } })
      expect(patched.status).toBe(200)
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'sch-built-in', name: 'Built in' })).status).toBe(201)
      expect((await ctx.srv.api('POST', '/v1/tenants/sch-built-in/events', { type: 'delivery.failed', payload: { other: 1 } })).status).toBe(202)
    })

    it('refuses an $async schema, whose validator would answer with a promise (a rejected one crashed the server)', async () => {
      const schema = { $async: true, type: 'object', required: ['must'] }
      expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.async', schema }), '/schema')
      expect((await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.later' })).status).toBe(201)
      expectInvalid(await ctx.srv.api('PATCH', '/v1/event-types/schema.later', { schema }), '/schema')
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'sch-async', name: 'Async' })).status).toBe(201)
      expect((await ctx.srv.api('POST', '/v1/tenants/sch-async/events', { type: 'schema.later', payload: { x: 1 } })).status).toBe(202)
      expect((await ctx.srv.api('GET', '/healthz')).status).toBe(200)
    })

    it('a pattern that backtracks exponentially answers at once; one the fallback cannot rescue is refused', async () => {
      const schema = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } }
      expect((await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.redos', schema })).status).toBe(201)
      expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'sch-redos', name: 'ReDoS' })).status).toBe(201)
      // Without the fallback this match backtracks for minutes and holds every request meanwhile.
      const t0 = performance.now()
      const res = await ctx.srv.api('POST', '/v1/tenants/sch-redos/events', { type: 'schema.redos', payload: { name: `${'a'.repeat(40)}b` } })
      expect(performance.now() - t0).toBeLessThan(5_000)
      expectInvalid(res, '/payload/name')
      expect((await ctx.srv.api('POST', '/v1/tenants/sch-redos/events', { type: 'schema.redos', payload: { name: 'aaa' } })).status).toBe(202)
      // A counted repeat of a repeating group is beyond the linear engine: refused when written.
      const nested = { type: 'object', properties: { words: { type: 'string', pattern: '^(\\w+\\s?){1,40}$' } } }
      expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.nested', schema: nested }), '/schema')
      const unicode = { type: 'object', properties: { name: { type: 'string', pattern: '^\\p{L}+$' } } }
      expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.unicode', schema: unicode }), '/schema')
    })

    it('a pattern with a backreference or a lookaround, which the fallback cannot rescue, is refused when written', async () => {
      // Taken before, each held every request for over 13 s on a 29-character name (28 a's and a b).
      for (const [name, pattern] of [['schema.backref', '^(a|a)*\\1$'], ['schema.lookahead', '^(\\w|\\d)*(?=$)b$']] as const) {
        const schema = { type: 'object', properties: { name: { type: 'string', pattern } } }
        const t0 = performance.now()
        expectInvalid(await ctx.srv.api('POST', '/v1/event-types', { name, schema }), '/schema')
        expect(performance.now() - t0).toBeLessThan(5_000)
      }
      // Long counted repeats, beyond the linear engine but bounded, are still taken.
      const bounded = { type: 'object', properties: { name: { type: 'string', pattern: '^.{1,100}$' }, slug: { type: 'string', pattern: '^[a-z]{1,64}$' } } }
      expect((await ctx.srv.api('POST', '/v1/event-types', { name: 'schema.bounded', schema: bounded })).status).toBe(201)
    })
  })
})
