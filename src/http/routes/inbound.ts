import type { FastifyPluginAsync } from 'fastify'
import type { AppDeps } from '../app.js'

/**
 * `/in/{sourceId}` and `/in/{sourceId}/track` (API.md, Inbound sources). No bearer token: the
 * signature is the authentication, and it is checked on the body's exact bytes, so this scope
 * replaces the JSON parser with one that keeps the raw Buffer, whatever the content type.
 */
export const inboundRoutes: FastifyPluginAsync<AppDeps> = async (app, { ingest }) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

  const receive = (track: boolean) => async (req: { params: unknown; method: string; url: string; headers: Record<string, string | string[] | undefined>; body: unknown }) =>
    ingest.handle({
      sourceId: (req.params as { sourceId: string }).sourceId,
      track,
      method: req.method,
      path: req.url,
      headers: req.headers,
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    })

  const schema = { tags: ['inbound'], security: [], params: { type: 'object', properties: { sourceId: { type: 'string' } }, required: ['sourceId'] } }
  const handle = receive(false)
  const handleTrack = receive(true)

  app.post('/in/:sourceId', { schema }, async (req, reply) => {
    const answer = await handle(req)
    return reply.code(answer.status).send(answer.body)
  })

  app.post('/in/:sourceId/track', { schema }, async (req, reply) => {
    await handleTrack(req)
    return reply.code(204).send()
  })
}
