/**
 * Inbound mappings read and write own properties only (issue 12, item 7): a field named
 * `__proto__` is mapped like any other, and `constructor` or `toString` is never "present" because
 * Object.prototype has it, in the body, in `$headers`, in `required`. And a Standard Webhooks source
 * takes whatever secret its sender picked, short or not base64 at all.
 * Through a real server and real ingests; loopback only.
 */
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { eventually } from '../helpers/server.js'
import { useApiServer } from './api-support.js'
import { inboundClient } from './inbound-support.js'

describe('inbound mappings and own properties', () => {
  const ctx = useApiServer()
  const { tenant, createSource, post, events, logsOnce } = inboundClient(() => ctx.srv)

  it('maps a field named __proto__ like any other, and requires it like any other', async () => {
    const t = await tenant()
    // Parsed, not written as a literal: in a literal `__proto__:` sets the prototype instead.
    const fields: unknown = JSON.parse('{"__proto__":"user.id","email":"user.email"}')
    const s = await createSource(t, { eventTypePath: 'kind', mappings: [{ eventType: '*', action: 'publish', fields, required: ['__proto__'] }] })
    const shown = (await ctx.srv.api('GET', `${t}/sources/${s.id}`)).body
    expect(Object.keys(shown.mappings[0].fields).sort()).toEqual(['__proto__', 'email'])
    // JSON.stringify of an object literal would drop `__proto__`: the JSON is written out.
    const body = '{"kind":"user.created","user":{"id":"u_1","email":"a@example.com"}}'
    expect((await post(`/in/${s.id}`, body)).status).toBe(202)
    const [evt] = await eventually(async () => {
      const list = await events(t)
      return list.length > 0 ? list : undefined
    })
    expect(Object.keys(evt.payload).sort()).toEqual(['__proto__', 'email'])
    expect(Object.getOwnPropertyDescriptor(evt.payload, '__proto__')?.value).toBe('u_1')
    expect(Object.getPrototypeOf(evt.payload)).toBe(Object.prototype)

    // Missing, it skips the action, named.
    expect((await post(`/in/${s.id}`, '{"kind":"user.created","user":{"email":"b@example.com"}}')).status).toBe(202)
    const [log] = await logsOnce(t, s.id, 2)
    expect(log.actions).toEqual([{ action: 'publish', status: 'skipped', error: 'required field __proto__ (user.id) is missing', eventId: null }])
  })

  it('reads a body key named __proto__ as the event type and the idempotency key', async () => {
    const t = await tenant()
    const s = await createSource(t, { eventTypePath: '__proto__', idempotency: { keyPath: 'meta.__proto__' }, mappings: [{ eventType: '*', action: 'publish' }] })
    const body = '{"__proto__":"order.paid","meta":{"__proto__":"k1"}}'
    expect(await post(`/in/${s.id}`, body)).toMatchObject({ status: 202, body: { eventType: 'order.paid', duplicate: false } })
    expect(await post(`/in/${s.id}`, body)).toMatchObject({ status: 200, body: { eventType: 'order.paid', duplicate: true } })
  })

  it('does not take constructor (or toString) from the prototype as present: required skips, paths read nothing', async () => {
    const t = await tenant()
    const s = await createSource(t, {
      eventTypePath: 'kind',
      mappings: [
        // The whole body as the payload: the body has no constructor of its own.
        { eventType: '*', action: 'publish', publishAs: 'whole.body', required: ['constructor'] },
        // A field read from a path the body lacks.
        { eventType: '*', action: 'publish', publishAs: 'from.path', fields: { constructor: 'missing' }, required: ['constructor'] },
        // A header the request lacks; the header object has a prototype too.
        { eventType: '*', action: 'publish', publishAs: 'from.header', fields: { h: '$headers.constructor', s: '$headers.toString' }, required: ['h'] },
        // Control: a body that does carry the field publishes.
        { eventType: '*', action: 'publish', publishAs: 'own.field', fields: { constructor: 'ctor' }, required: ['constructor'] },
      ],
    })
    expect((await post(`/in/${s.id}`, JSON.stringify({ kind: 'x.y', ctor: 'mine' }))).status).toBe(202)
    const [log] = await logsOnce(t, s.id, 1)
    expect(log.actions.map((a: { status: string; error: string | null }) => [a.status, a.error])).toEqual([
      ['skipped', 'required field constructor is missing'],
      ['skipped', 'required field constructor (missing) is missing'],
      ['skipped', 'required field h ($headers.constructor) is missing'],
      ['succeeded', null],
    ])
    const list = await events(t)
    expect(list.map((e: { type: string; payload: unknown }) => [e.type, e.payload])).toEqual([['own.field', { constructor: 'mine' }]])
  })

  it('an hmac source whose header is named constructor reads the request, not the prototype', async () => {
    const t = await tenant()
    const s = await createSource(t, { verification: { type: 'hmac', secret: 'hmac-secret-0123', header: 'constructor' }, eventTypePath: 'kind' })
    const res = await post(`/in/${s.id}`, '{"kind":"x.y"}')
    expect(res.status).toBe(401)
    const [log] = await logsOnce(t, s.id, 1)
    expect(log.status).toBe('verification_failed')
  })

  describe('standard-webhooks sources take any non-empty secret', () => {
    const signAndPost = async (id: string, wh: Webhook): Promise<number> => {
      const raw = JSON.stringify({ type: 'user.created' })
      const now = new Date()
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign('msg_1', now, raw) }
      return (await post(`/in/${id}`, raw, headers)).status
    }

    it.each([
      ['8 bytes as whsec_ base64', `whsec_${Buffer.alloc(8, 3).toString('base64')}`, (s: string) => new Webhook(s)],
      ['1 byte, bare base64', Buffer.alloc(1, 5).toString('base64'), (s: string) => new Webhook(s)],
      ['100 bytes as whsec_ base64', `whsec_${Buffer.alloc(100, 6).toString('base64')}`, (s: string) => new Webhook(s)],
      ['not base64 at all (its UTF-8 bytes, the raw format)', 'my shared secret!', (s: string) => new Webhook(s, { format: 'raw' })],
    ])('%s: created, and a request signed with it is accepted', async (_what, secret, webhook) => {
      const t = await tenant()
      const s = await createSource(t, { verification: { type: 'standard-webhooks', secret }, eventTypePath: 'type' })
      expect(await signAndPost(s.id, webhook(secret))).toBe(202)
      // And a request signed with another secret is not.
      expect(await signAndPost(s.id, new Webhook(`whsec_${Buffer.alloc(24, 0xee).toString('base64')}`))).toBe(401)
    })
  })
})
