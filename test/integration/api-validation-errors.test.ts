/**
 * API.md, "Limits on bad input": enum errors name the allowed values once. Every enum and union in
 * the API (request bodies and query parameters, as /openapi.json describes them) is sent a value it
 * does not allow, and the answer must hold exactly one error at that path, naming what is allowed:
 * `/method: must be one of POST, PUT, PATCH, GET`, `/rateLimitPerSecond: must be integer or null`.
 * Event payloads checked against an event type's JSON Schema say it the same way, under /payload.
 */
import { describe, expect, it } from 'vitest'
import { expectProblem, useApiServer, type ApiResponse } from './api-support.js'

type Schema = Record<string, any>

interface Probe {
  /** JSON Pointer segments of the bad value inside the body (or the query parameter's name). */
  at: string[]
  value: unknown
  message: string
}

const BAD = 'not-an-allowed-value'
const JSON_TYPES: Array<[string, unknown]> = [
  ['boolean', true],
  ['number', 12.5],
  ['string', BAD],
  ['array', []],
  ['object', {}],
  ['null', null],
]

const constants = (s: Schema): unknown[] | null => ('const' in s ? [s.const] : Array.isArray(s.enum) ? s.enum : null)
const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))

/** The sentence the API must answer for a union or enum: its values and the JSON types of its other branches. */
function mustBe(values: unknown[], types: string[]): string {
  if (values.length === 0) return `must be ${types.join(' or ')}`
  const list = values.map(show).join(', ')
  if (types.length === 0) return values.length === 1 ? `must be ${list}` : `must be one of ${list}`
  return `must be one of ${list}, or ${types.join(' or ')}`
}

const accepts = (s: Schema, type: string): boolean =>
  s.type === undefined || s.type === type || (Array.isArray(s.type) && s.type.includes(type)) || (s.type === 'number' && type === 'number')

/** Every enum and union reachable in `schema`, each with a value it refuses and what the answer must say. */
function probesOf(schema: Schema, at: string[] = []): Probe[] {
  const branches: Schema[] | undefined = schema.anyOf ?? schema.oneOf
  if (branches) {
    const out: Probe[] = []
    const values = branches.flatMap((b) => constants(b) ?? [])
    const others = branches.filter((b) => constants(b) === null)
    if (others.length === 0) {
      out.push({ at, value: BAD, message: mustBe(values, []) })
    } else {
      // A value of a JSON type that no branch takes (no constant is of the types left: they are strings).
      const refused = JSON_TYPES.find(([type]) => !branches.some((b) => accepts(b, type)) && (values.length === 0 || type !== 'string'))
      if (refused) out.push({ at, value: refused[1], message: mustBe(values, others.map((b) => b.type as string)) })
    }
    // The enums and unions inside the branches a value can be meant for.
    for (const b of others) out.push(...probesOf(b, at))
    return out
  }
  const values = constants(schema)
  if (values) return [{ at, value: BAD, message: mustBe(values, []) }]
  if (schema.type === 'object') {
    const inner = Object.entries<Schema>(schema.properties ?? {}).flatMap(([name, s]) => probesOf(s, [...at, name]))
    for (const s of Object.values<Schema>(schema.patternProperties ?? {})) inner.push(...probesOf(s, [...at, 'someKey']))
    if (typeof schema.additionalProperties === 'object') inner.push(...probesOf(schema.additionalProperties, [...at, 'someKey']))
    return inner
  }
  if (schema.type === 'array' && schema.items) return probesOf(schema.items, [...at, '0'])
  return []
}

/** A body holding `value` at `at` and nothing else. */
function bodyWith(at: string[], value: unknown): unknown {
  if (at.length === 0) return value
  const [head, ...rest] = at
  return /^\d+$/.test(head!) ? [bodyWith(rest, value)] : { [head!]: bodyWith(rest, value) }
}

const pointer = (at: string[]) => at.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')

describe('validation errors name the allowed values once', () => {
  const ctx = useApiServer()

  it('for every enum and union of every request body and query parameter', async () => {
    const { srv } = ctx
    const T = 'enums'
    expect((await srv.api('POST', '/v1/tenants', { id: T, name: 'Enums' })).status).toBe(201)
    const doc = (await srv.api('GET', '/openapi.json')).body
    const wrong: string[] = []
    const tried: string[] = []
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue
        const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'tenantId' ? T : `unknown_${name}`))
        const bodySchema = op.requestBody?.content?.['application/json']?.schema as Schema | undefined
        const cases: Array<{ where: string; message: string; send: () => Promise<ApiResponse> }> = []
        for (const p of bodySchema ? probesOf(bodySchema) : []) {
          cases.push({ where: pointer(p.at), message: p.message, send: () => srv.api(method.toUpperCase(), path, bodyWith(p.at, p.value)) })
        }
        for (const q of ((op.parameters ?? []) as any[]).filter((p) => p.in === 'query')) {
          // A query value is a string: only the probes that send one.
          for (const p of probesOf(q.schema).filter((p) => p.value === BAD)) {
            cases.push({ where: `/query/${q.name}`, message: p.message, send: () => srv.api(method.toUpperCase(), `${path}?${q.name}=${BAD}`) })
          }
        }
        for (const c of cases) {
          tried.push(`${method.toUpperCase()} ${template} ${c.where} ${c.message}`)
          const res = await c.send()
          const label = `${method.toUpperCase()} ${template} ${c.where}`
          if (res.status !== 422) {
            wrong.push(`${label}: answered ${res.status} ${JSON.stringify(res.body)}`)
            continue
          }
          const errors = res.body.errors as Array<{ path: string; message: string }>
          const here = errors.filter((e) => e.path === c.where)
          if (here.length !== 1 || here[0]!.message !== c.message) wrong.push(`${label}: expected one "${c.message}", got ${JSON.stringify(here)}`)
          const paths = errors.map((e) => e.path)
          if (new Set(paths).size !== paths.length) wrong.push(`${label}: several errors at one path: ${JSON.stringify(errors)}`)
          if (errors.some((e) => /constant|anyOf|allowed values/.test(e.message))) wrong.push(`${label}: Ajv's sentences left: ${JSON.stringify(errors)}`)
          if (!res.body.detail.includes(`${c.where}: ${c.message}`)) wrong.push(`${label}: detail ${res.body.detail}`)
        }
      }
    }
    expect(wrong).toEqual([])
    // The walk reaches the unions the issue names, and many more.
    const walked = tried.join('\n')
    expect(walked).toContain('POST /v1/tenants/{tenantId}/endpoints /method must be one of POST, PUT, PATCH, GET')
    expect(walked).toContain('POST /v1/tenants/{tenantId}/endpoints /auth/type must be one of none, bearer, basic, header')
    expect(walked).toContain('POST /v1/tenants/{tenantId}/endpoints /rateLimitPerSecond must be integer or null')
    expect(walked).toContain('/query/status must be one of pending, succeeded, failed')
    expect(walked).toContain('/capabilities/0 must be one of endpoints.write, secrets.read, secrets.rotate, deliveries.retry')
    expect(tried.length).toBeGreaterThanOrEqual(30)
  })

  it('for enums and unions of an event type schema, under /payload', async () => {
    const { srv } = ctx
    const T = 'payload-enums'
    expect((await srv.api('POST', '/v1/tenants', { id: T, name: 'Payload enums' })).status).toBe(201)
    const schema = {
      type: 'object',
      properties: {
        status: { enum: ['open', 'paid', 'void'] },
        currency: { anyOf: [{ const: 'eur' }, { const: 'usd' }] },
        note: { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'null' }] },
      },
    }
    expect((await srv.api('POST', '/v1/event-types', { name: 'enums.checked', schema })).status).toBe(201)
    const res = await srv.api('POST', `/v1/tenants/${T}/events`, { type: 'enums.checked', payload: { status: 'late', currency: 'gbp', note: 'too long' } })
    expectProblem(res, 422, 'validation_failed')
    expect(res.body.errors).toEqual([
      { path: '/payload/status', message: 'must be one of open, paid, void' },
      { path: '/payload/currency', message: 'must be one of eur, usd' },
      { path: '/payload/note', message: 'must NOT have more than 3 characters' },
    ])
    const kind = await srv.api('POST', `/v1/tenants/${T}/events`, { type: 'enums.checked', payload: { note: 4 } })
    expect(kind.body.errors).toEqual([{ path: '/payload/note', message: 'must be string or null' }])
  })
})
