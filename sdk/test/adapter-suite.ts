/**
 * What every framework adapter must do in a real app of its framework (API.md, SDK): receive a
 * real delivery from a real server and hand the handler the parsed event, and answer 401 to
 * forged requests (wrong secret, changed body, replayed old timestamp, no headers) without ever
 * calling the handler. Each adapter's test file starts its app and calls adapterSuite.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/helpers/server.js'
import { signWebhook } from '../src/index.js'
import { endpointAt, recorder, startSdkServer, type SdkServer } from './helpers.js'

export interface ReceiverApp {
  /** Base URL on loopback; the verified route is `${url}/webhooks`. */
  url: string
  close(): Promise<void>
}

export type Recorder = ReturnType<typeof recorder>

export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`

/** Headers and body of a request signed with `secret` (now, unless `at` says otherwise). */
export function signed(secret: string, body: string, at = Date.now()): Record<string, string> {
  const id = `msg_${randomBytes(6).toString('hex')}`
  const timestamp = Math.floor(at / 1000)
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, { id, timestamp, body }), 'content-type': 'application/json' }
}

export function adapterSuite(name: string, startApp: (secret: string, seen: Recorder) => Promise<ReceiverApp>): void {
  describe(`${name} adapter in a real ${name} app`, () => {
    const secret = newSecret()
    const seen = recorder()
    let s: SdkServer
    let app: ReceiverApp
    beforeAll(async () => {
      s = await startSdkServer()
      app = await startApp(secret, seen)
    })
    afterAll(async () => {
      await app?.close()
      await s?.close()
    })

    it('receives a real delivery and hands the handler the parsed event', async () => {
      const { tenantId, endpointId } = await endpointAt(s.hr, `${app.url}/webhooks`)
      // The app was built with its secret before the endpoint existed: make it the endpoint's.
      await s.hr.endpoints.rotateSecret(tenantId, endpointId, { secret })
      const payload = { framework: name, text: 'naïve café ✓ 🚀', amounts: [1, 2.5], nested: { ok: true } }
      const event = await s.hr.events.publish(tenantId, { type: 'adapter.check', payload })
      const [got] = await seen.wait(1)
      expect(got).toMatchObject({ id: event.id, type: 'adapter.check', data: payload })
      const delivered = await eventually(async () => {
        for await (const d of s.hr.deliveries.list(tenantId, { eventId: event.id })) if (d.status !== 'pending') return d
        return undefined
      })
      expect(delivered.status).toBe('succeeded')
    })

    it('accepts a request signed with its secret (the control for the forgeries below)', async () => {
      const before = seen.seen.length
      const body = JSON.stringify({ id: 'evt_control', type: 'adapter.check', data: { n: 1 } })
      const res = await fetch(`${app.url}/webhooks`, { method: 'POST', headers: signed(secret, body), body })
      expect(res.status).toBeLessThan(300)
      expect(seen.seen.slice(before)).toEqual([{ id: 'evt_control', type: 'adapter.check', data: { n: 1 } }])
    })

    it('answers forged requests 401 with a problem, and never calls the handler', async () => {
      const before = seen.seen.length
      const body = JSON.stringify({ id: 'evt_forged', type: 'adapter.check', data: { amount: 1_000_000 } })
      const renamed = Object.fromEntries(Object.entries(signed(secret, body)).map(([k, v]) => [k.replace('webhook-', 'x-'), v]))
      const forgeries: Array<{ why: string; code: string; headers: Record<string, string>; body: string }> = [
        { why: 'signed with another secret', code: 'no_matching_signature', headers: signed(newSecret(), body), body },
        { why: 'the body changed after signing', code: 'no_matching_signature', headers: signed(secret, body), body: body.replace('1000000', '9000000') },
        { why: 'a replayed old request', code: 'timestamp_too_old', headers: signed(secret, body, Date.now() - 3600_000), body },
        { why: 'no signature headers', code: 'missing_headers', headers: { 'content-type': 'application/json' }, body },
        { why: 'the signature under another header set', code: 'missing_headers', headers: renamed, body },
      ]
      for (const f of forgeries) {
        const res = await fetch(`${app.url}/webhooks`, { method: 'POST', headers: f.headers, body: f.body })
        expect(res.status, f.why).toBe(401)
        expect(res.headers.get('content-type'), f.why).toMatch(/^application\/problem\+json/)
        expect(await res.json(), f.why).toMatchObject({ status: 401, code: f.code })
      }
      expect(seen.seen.length).toBe(before)
    })
  })
}
