/**
 * API.md, "Limits on bad input": a body that is not valid UTF-8 JSON is a 400 problem
 * (`malformed_json`), on every JSON route and on a source's ingest URL, where it used to be read
 * with U+FFFD in place of the bad bytes and stored. Valid multi-byte UTF-8 still goes through.
 */
import { describe, expect, it } from 'vitest'
import { expectProblem, useApiServer, type ApiResponse } from './api-support.js'
import { inboundClient } from './inbound-support.js'

/** `{"<field>":"bad <C3 28>"}`: 0xC3 starts a two-byte sequence that 0x28 does not continue. */
const badUtf8 = (json: Record<string, unknown>, field: string): Buffer => {
  const text = JSON.stringify({ ...json, [field]: '\u0001' })
  const [before, after] = text.split('\\u0001') as [string, string]
  return Buffer.concat([Buffer.from(before), Buffer.from('bad '), Buffer.from([0xc3, 0x28]), Buffer.from(after)])
}

describe('bodies that are not valid UTF-8', () => {
  const ctx = useApiServer()
  const { tenant, createSource, post, logsOnce, events } = inboundClient(() => ctx.srv)

  const raw = async (method: string, path: string, body: Buffer): Promise<ApiResponse> => {
    const res = await fetch(ctx.srv.url + path, {
      method,
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: new Uint8Array(body),
    })
    return { status: res.status, body: await res.json(), headers: res.headers }
  }

  it('are refused with 400 malformed_json on JSON routes, and nothing is stored', async () => {
    const t = await tenant()
    const ep = await ctx.srv.api('POST', `${t}/endpoints`, { url: 'http://127.0.0.1:9/hook' })
    expect(ep.status).toBe(201)
    const cases: Array<[string, string, Buffer]> = [
      ['POST', '/v1/tenants', badUtf8({ id: 'utf8-bad' }, 'name')],
      ['PATCH', t, badUtf8({}, 'name')],
      ['POST', `${t}/endpoints`, badUtf8({ url: 'http://127.0.0.1:9/x' }, 'name')],
      ['PATCH', `${t}/endpoints/${ep.body.id}`, badUtf8({}, 'description')],
      ['POST', `${t}/events`, badUtf8({ type: 'user.created' }, 'idempotencyKey')],
      ['POST', '/v1/event-types', badUtf8({ name: 'utf8.bad' }, 'description')],
    ]
    for (const [method, path, body] of cases) {
      const res = await raw(method, path, body)
      expectProblem(res, 400, 'malformed_json')
      expect(res.body.detail).toBe('The request body is not valid UTF-8.')
    }
    expect((await ctx.srv.api('GET', '/v1/tenants/utf8-bad')).status).toBe(404)
    expect(await events(t)).toEqual([])
    expect((await ctx.srv.api('GET', '/v1/event-types/utf8.bad')).status).toBe(404)
  })

  it('valid multi-byte UTF-8 is taken as sent', async () => {
    const res = await raw('POST', '/v1/tenants', Buffer.from(JSON.stringify({ id: 'utf8-ok', name: 'Café 🚀 日本' })))
    expect(res.status).toBe(201)
    expect(res.body.name).toBe('Café 🚀 日本')
  })

  it('a source ingest with a JSON body that is not UTF-8 is 400, logged as invalid, and publishes nothing', async () => {
    const t = await tenant()
    const s = await createSource(t, { eventTypePath: 'kind', mappings: [{ eventType: '*', action: 'publish' }] })
    const res = await post(`/in/${s.id}`, new Uint8Array(badUtf8({ kind: 'user.created' }, 'name')))
    expectProblem(res, 400, 'malformed_json')
    const [log] = await logsOnce(t, s.id, 1)
    expect(log).toMatchObject({ status: 'invalid', actions: [] })
    expect(await events(t)).toEqual([])
  })
})
