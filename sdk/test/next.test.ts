/**
 * @hookrelay/sdk/next: an App Router route handler (`export const POST = verifyWebhooks(...)(handler)`)
 * is a function from a Web `Request` (and Next's context) to a `Response`. Next.js itself is not
 * installed here (too heavy to build an app per test run on this machine); the handler is served
 * as such a function by @hono/node-server on loopback, which turns each real HTTP request into a
 * Web Request as Next's server does.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { describe, expect, it } from 'vitest'
import { verifyWebhooks } from '../src/adapters/next.js'
import { adapterSuite, newSecret, signed, type Recorder, type ReceiverApp } from './adapter-suite.js'
import { recorder } from './helpers.js'

type RouteContext = { params: Promise<Record<string, string>> }

/** A route module as Next loads it: app/webhooks/route.ts. */
function routeModule(secret: string, seen: Recorder) {
  return {
    POST: verifyWebhooks({ secret })<RouteContext>(async (event, request, context) => {
      seen.add(event)
      return Response.json({ received: true, method: request.method, params: await context.params })
    }),
  }
}

async function startApp(secret: string, seen: Recorder): Promise<ReceiverApp> {
  const route = routeModule(secret, seen)
  return new Promise((resolve) => {
    const server = serve(
      {
        fetch: (request: Request) =>
          new URL(request.url).pathname === '/webhooks' && request.method === 'POST'
            ? route.POST(request, { params: Promise.resolve({ slug: 'webhooks' }) })
            : new Response(null, { status: 404 }),
        port: 0,
        hostname: '127.0.0.1',
      },
      (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((done) => server.close(() => done())) }),
    )
  })
}

adapterSuite('Next.js route handler', startApp)

describe('Next.js route handler wrapper', () => {
  it("passes the request and Next's context on to the handler", async () => {
    const secret = newSecret()
    const app = await startApp(secret, recorder())
    try {
      const body = '{"id":"evt_1"}'
      const res = await fetch(`${app.url}/webhooks`, { method: 'POST', headers: signed(secret, body), body })
      expect(await res.json()).toEqual({ received: true, method: 'POST', params: { slug: 'webhooks' } })
    } finally {
      await app.close()
    }
  })
})
