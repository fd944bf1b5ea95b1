/** @hookrelay/sdk/hono in a real Hono app, served by @hono/node-server on loopback. */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { verifyWebhooks, type WebhookVariables } from '../src/adapters/hono.js'
import { adapterSuite, newSecret, signed, type Recorder, type ReceiverApp } from './adapter-suite.js'
import { recorder } from './helpers.js'

async function startApp(secret: string, seen: Recorder): Promise<ReceiverApp> {
  const app = new Hono<{ Variables: WebhookVariables }>()
  app.post('/webhooks', verifyWebhooks({ secret }), (c) => {
    seen.add(c.get('webhook'))
    return c.body(null, 204)
  })
  // The body stays readable after the middleware read it.
  app.post('/reread', verifyWebhooks({ secret }), async (c) => c.json({ webhook: c.get('webhook'), again: await c.req.json<unknown>() }))
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      })
    })
  })
}

adapterSuite('Hono', startApp)

describe('Hono adapter', () => {
  it('leaves the body readable for the handler (c.req.json())', async () => {
    const secret = newSecret()
    const app = await startApp(secret, recorder())
    try {
      const body = '{"id":"evt_1","data":{"x":1}}'
      const res = await fetch(`${app.url}/reread`, { method: 'POST', headers: signed(secret, body), body })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ webhook: { id: 'evt_1', data: { x: 1 } }, again: { id: 'evt_1', data: { x: 1 } } })
    } finally {
      await app.close()
    }
  })
})
