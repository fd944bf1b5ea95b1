/**
 * /openapi.json (API.md, Running): every operation documented well enough to generate a client
 * from (operationId, summary, description, tag, request body examples, error responses with the
 * Problem schema), valid under a standard validator, and its documented error responses in step
 * with what the routes really answer: every operation is driven with bad input, unknown ids,
 * missing and foreign tokens, on a normal node and on a worker node, and every status and code it
 * answers must be documented for it, while every code it documents must be one it answered.
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv } from 'ajv'
import formatsModule from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

/** Said by every failure here: routes are added in parallel, and this test is how they get documented. */
const HOW_TO =
  'Every route needs ...op(operationId, summary, description, [extra error codes]) from src/http/openapi.ts in its schema ' +
  '(see any file in src/http/routes/), `examples` on its body schema, and a scenario below for each extra code it declares.'

type Op = { method: string; path: string; op: any }
const METHODS = ['get', 'put', 'post', 'delete', 'patch']

/** A request body's examples: @fastify/swagger writes one as `example`, several as `examples`. */
const examplesOf = (media: any): any[] => (media.example !== undefined ? [{ value: media.example }] : Object.values<any>(media.examples ?? {}))

/** A copy of `value` whose http(s) URLs all point at a closed loopback port: nothing leaves the machine. */
const loopbackUrls = (value: unknown): unknown =>
  typeof value === 'string' && /^https?:\/\//.test(value)
    ? 'http://127.0.0.1:9/example'
    : Array.isArray(value)
      ? value.map(loopbackUrls)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, loopbackUrls(v)]))
        : value

function operationsOf(doc: any): Op[] {
  const ops: Op[] = []
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of METHODS) if (item[method]) ops.push({ method, path, op: item[method] })
  }
  return ops
}

describe('/openapi.json', () => {
  let srv: TestServer
  let doc: any
  beforeAll(async () => {
    srv = await startTestServer()
    doc = (await srv.api('GET', '/openapi.json')).body
  })
  afterAll(async () => {
    await srv.close()
  })

  it('is valid OpenAPI 3.1 under @apidevtools/swagger-parser', async () => {
    expect(doc.openapi).toBe('3.1.0')
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy()
  })

  it('gives every operation a unique camelCase operationId, a summary, a description and one tag', () => {
    const ops = operationsOf(doc)
    expect(ops.length).toBeGreaterThanOrEqual(46)
    const missing = ops
      .filter(({ op }) => !/^[a-z][A-Za-z0-9]*$/.test(op.operationId ?? '') || !op.summary || !op.description || op.tags?.length !== 1)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
    expect(missing, `operations without operationId/summary/description/tag. ${HOW_TO}`).toEqual([])
    const ids = ops.map(({ op }) => op.operationId as string)
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), 'duplicate operationIds').toEqual([])
  })

  it('gives every request body examples that its own schema accepts', () => {
    const ajv = new Ajv({ strict: false, allErrors: true })
    formatsModule.default(ajv)
    const problems: string[] = []
    for (const { method, path, op } of operationsOf(doc)) {
      const media = op.requestBody?.content?.['application/json']
      if (!media) continue
      const examples = examplesOf(media)
      if (examples.length === 0) problems.push(`${method.toUpperCase()} ${path}: no examples`)
      const validate = ajv.compile(media.schema)
      for (const ex of examples) if (!validate(ex.value)) problems.push(`${method.toUpperCase()} ${path}: ${ajv.errorsText(validate.errors)}`)
    }
    expect(problems, HOW_TO).toEqual([])
  })

  it('documents every error response as a Problem with an example per code, and a default', () => {
    expect(doc.components.schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'code'])
    for (const { method, path, op } of operationsOf(doc)) {
      const statuses = Object.keys(op.responses)
      expect(statuses, `${method} ${path}`).toContain('default')
      expect(statuses.some((s) => /^2\d\d$/.test(s)), `${method} ${path} has a success response`).toBe(true)
      for (const [status, res] of Object.entries<any>(op.responses)) {
        expect(res.description, `${method} ${path} ${status}`).not.toBe('Default Response')
        if (status !== 'default' && Number(status) < 400) continue
        const media = res.content['application/problem+json']
        // An error answer that is not a problem is the route's own schema (/healthz's 503).
        if (media === undefined && status !== 'default') continue
        expect(media.schema).toEqual({ $ref: '#/components/schemas/Problem' })
        for (const [code, ex] of Object.entries<any>(media.examples)) {
          expect(ex.value.code).toBe(code)
          if (status !== 'default') expect(String(ex.value.status)).toBe(status)
        }
      }
    }
  })
})

describe('documented error responses match what each route answers', () => {
  let srv: TestServer
  let worker: TestServer
  let doc: any
  /** `METHOD /path/{template}` -> status -> codes seen (`ok` for a success). */
  const seen = new Map<string, Map<string, Set<string>>>()

  beforeAll(async () => {
    // A small body limit keeps the 413 probes small. IPv4 loopback only: [::1] is the refused address.
    srv = await startTestServer({ maxPayloadBytes: 4096, allowedNetworks: ['127.0.0.0/8'] })
    worker = await startTestServer({ role: 'worker' })
    doc = (await srv.api('GET', '/openapi.json')).body
  })
  afterAll(async () => {
    await srv?.close()
    await worker?.close()
  })

  it('drives every operation and compares', async () => {
    const T = 'oa-t'
    const U = 'oa-u'
    await srv.api('POST', '/v1/tenants', { id: T, name: 'T' })
    await srv.api('POST', '/v1/tenants', { id: U, name: 'U' })
    const keyU = (await srv.api('POST', `/v1/tenants/${U}/api-keys`, { name: 'u' })).body.key as string
    // A portal session of T with no capabilities: it may read T, and do nothing else.
    const portal = (await srv.api('POST', `/v1/tenants/${T}/portal-sessions`, { capabilities: [] })).body.token as string
    const ops = operationsOf(doc)
    const byId = new Map(ops.map((o) => [o.op.operationId as string, o]))

    const record = (o: Op, res: { status: number; body: any }) => {
      const key = `${o.method.toUpperCase()} ${o.path}`
      const statuses = seen.get(key) ?? new Map<string, Set<string>>()
      seen.set(key, statuses)
      const codes = statuses.get(String(res.status)) ?? new Set<string>()
      statuses.set(String(res.status), codes)
      codes.add(res.status < 400 ? 'ok' : String(res.body?.code))
    }
    /** Calls operation `o` with path parameters `params` (the rest unknown ids); the answer is recorded. */
    const call = async (
      o: Op,
      opts: { server?: TestServer; params?: Record<string, string>; query?: string; body?: unknown; raw?: string; type?: string; token?: string | null } = {},
    ) => {
      const path = o.path.replace(/\{(\w+)\}/g, (_m, name: string) => opts.params?.[name] ?? (name === 'tenantId' ? T : `unknown_${name}`))
      const headers: Record<string, string> = {}
      if (opts.type) headers['content-type'] = opts.type
      const body = opts.raw ?? opts.body
      const res = await (opts.server ?? srv).api(o.method.toUpperCase(), path + (opts.query ?? ''), body, { token: opts.token, headers })
      record(o, res)
      return res
    }
    const byIdCall = (id: string, opts: Parameters<typeof call>[1]) => {
      const o = byId.get(id)
      if (!o) throw new Error(`no operation ${id}`)
      return call(o, opts)
    }

    for (const o of ops) {
      const params = [...o.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
      const hasBody = ['post', 'put', 'patch', 'delete'].includes(o.method)
      const query = ((o.op.parameters ?? []) as any[]).filter((p) => p.in === 'query').map((p) => p.name as string)
      // Tokens: none, a wrong one, and another tenant's key.
      await call(o, { token: null })
      await call(o, { token: 'not-a-token' })
      await call(o, { token: keyU })
      await call(o, { token: portal })
      // Unknown ids: under a known tenant (but not deleting it), and an unknown tenant; with a
      // body, each example of the operation (URLs made loopback), so validation passes first.
      const nobody = { tenantId: 'oa-nobody' }
      if (!(o.method === 'delete' && params.at(-1) === 'tenantId')) await call(o, {})
      if (params.includes('tenantId')) await call(o, { params: nobody })
      for (const ex of examplesOf(o.op.requestBody?.content?.['application/json'] ?? {})) {
        await call(o, { params: nobody, body: loopbackUrls(ex.value) })
        if (params.length > 1) await call(o, { body: loopbackUrls(ex.value) })
      }
      // A path parameter that cannot be decoded.
      for (const p of params) await call(o, { params: { [p]: '%ZZ' } })
      if (hasBody) {
        await call(o, { params: nobody, raw: '{"unclosed": ', type: 'application/json' })
        await call(o, { params: nobody, raw: 'text', type: 'text/plain' })
        await call(o, { params: nobody, raw: JSON.stringify({ big: 'x'.repeat(5000) }), type: 'application/json' })
        await call(o, { params: nobody, raw: `${'['.repeat(101)}${']'.repeat(101)}`, type: 'application/json' })
        await call(o, { params: nobody, body: { notAField: true } })
      }
      for (const q of query) {
        await call(o, { query: `?${q}=%00` })
        if (q === 'cursor') await call(o, { query: '?cursor=not-a-cursor' })
      }
      await call(o, { server: worker })
    }

    // The codes operations declare beyond their shape (x-problems), each provoked once.
    await byIdCall('createTenant', { body: { id: T, name: 'again' } })
    await byIdCall('createTenant', { body: { id: '_mine', name: 'reserved' } })
    await byIdCall('deleteTenant', { params: { tenantId: '_operator' } })
    await byIdCall('createEventType', { body: { name: 'webhook.test' } })
    await byIdCall('deleteEventType', { params: { name: 'webhook.test' } })
    await byIdCall('createEndpoint', { body: { url: 'http://[::1]:9/refused' } })
    const ep = await byIdCall('createEndpoint', { body: { url: 'http://127.0.0.1:9/hook' } })
    await byIdCall('updateEndpoint', { params: { endpointId: ep.body.id }, body: { url: 'http://[::1]:9/refused' } })
    await byIdCall('previewEndpointRequest', { body: { endpoint: { url: 'http://127.0.0.1:9/hook', payload: { template: '{{ event.data.missing.x }}' } }, payload: {} } })
    const tooLong = '?bucket=1m&since=2026-01-01T00:00:00Z&until=2026-01-03T00:00:00Z'
    await byIdCall('getEndpointStatsSeries', { params: { endpointId: ep.body.id }, query: tooLong })
    await byIdCall('getTenantStatsSeries', { query: tooLong })
    await byIdCall('createRoute', { body: { name: 'r1', upstreamUrl: 'http://127.0.0.1:9/' } })
    await byIdCall('createRoute', { body: { name: 'r1', upstreamUrl: 'http://127.0.0.1:9/' } })
    await byIdCall('createRoute', { body: { name: 'r9', upstreamUrl: 'http://[::1]:9/' } })
    const r2 = await byIdCall('createRoute', { body: { name: 'r2', upstreamUrl: 'http://127.0.0.1:9/' } })
    await byIdCall('updateRoute', { params: { routeId: r2.body.id }, body: { name: 'r1' } })
    await byIdCall('updateRoute', { params: { routeId: r2.body.id }, body: { upstreamUrl: 'http://[::1]:9/' } })
    const signed = await srv.api('POST', `/v1/tenants/${T}/sources`, { name: 's', verification: { type: 'hmac', secret: 'shh' } })
    const open = await srv.api('POST', `/v1/tenants/${T}/sources`, { name: 'o', verification: { type: 'none' } })
    await byIdCall('receiveWebhook', { params: { sourceId: signed.body.id }, body: { event_type: 'a' } })
    await byIdCall('receiveTrackCall', { params: { sourceId: signed.body.id }, body: { event: 'a' } })
    await byIdCall('receiveTrackCall', { params: { sourceId: open.body.id }, body: { type: 'track' } })
    for (const id of ['receiveWebhook', 'receiveTrackCall']) {
      await byIdCall(id, { params: { sourceId: open.body.id }, raw: '{"unclosed": ', type: 'application/json' })
      await byIdCall(id, { params: { sourceId: open.body.id }, raw: `${'['.repeat(101)}${']'.repeat(101)}`, type: 'application/json' })
    }

    const undocumented: string[] = []
    const unseen: string[] = []
    for (const o of ops) {
      const key = `${o.method.toUpperCase()} ${o.path}`
      const answered = seen.get(key) ?? new Map<string, Set<string>>()
      for (const [status, codes] of answered) {
        const res = o.op.responses[status]
        if (!res) {
          undocumented.push(`${key}: answered ${status} (${[...codes].join(', ')}), not documented`)
          continue
        }
        if (Number(status) < 400 || res.content['application/problem+json'] === undefined) continue
        const documented = Object.keys(res.content['application/problem+json'].examples)
        for (const c of codes) if (!documented.includes(c)) undocumented.push(`${key}: answered ${status} ${c}, not documented`)
      }
      for (const [status, res] of Object.entries<any>(o.op.responses)) {
        if (status === 'default' || Number(status) < 400 || res.content['application/problem+json'] === undefined) continue
        for (const code of Object.keys(res.content['application/problem+json'].examples)) {
          if (!answered.get(status)?.has(code)) unseen.push(`${key}: documents ${status} ${code}, never answered it`)
        }
      }
    }
    expect(undocumented, `routes answer what /openapi.json does not say. ${HOW_TO}`).toEqual([])
    expect(unseen, `/openapi.json documents answers the routes never gave: drop them or add a scenario here. ${HOW_TO}`).toEqual([])
  })
})
