/** @hookrelay/sdk/fastify in a real Fastify 5 app on loopback. */
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { verifyWebhooks } from '../src/adapters/fastify.js'
import { adapterSuite, newSecret, signed, type Recorder, type ReceiverApp } from './adapter-suite.js'
import { recorder } from './helpers.js'

async function startApp(secret: string, seen: Recorder): Promise<ReceiverApp> {
  const app = Fastify()
  // Outside the webhook scope the app keeps Fastify's own JSON parser.
  app.post('/echo', async (request) => ({ body: request.body, webhook: request.webhook }))
  await app.register(async (hooks) => {
    await hooks.register(verifyWebhooks({ secret }))
    hooks.post('/webhooks', async (request, reply) => {
      seen.add(request.webhook)
      return reply.code(204).send()
    })
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: () => app.close() }
}

adapterSuite('Fastify', startApp)

describe('Fastify adapter scope', () => {
  it('parses raw bytes in its own scope only: the rest of the app still gets parsed JSON', async () => {
    const seen = recorder()
    const secret = newSecret()
    const app = await startApp(secret, seen)
    try {
      const echo = await fetch(`${app.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a": 1}' })
      expect(await echo.json()).toEqual({ body: { a: 1 } })

      // Any content type reaches the verifier as bytes (a text-format endpoint sends text/plain).
      const body = 'plain text delivery'
      const text = await fetch(`${app.url}/webhooks`, { method: 'POST', headers: { ...signed(secret, body), 'content-type': 'text/plain' }, body })
      expect(text.status).toBe(204)
      expect(seen.seen).toEqual(['plain text delivery'])
    } finally {
      await app.close()
    }
  })
})
