import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { NoContent } from '../schemas.js'

const op = operations('inbound')
const Accepted = Type.Object({
  accepted: Type.Boolean(),
  eventType: Type.Union([Type.String(), Type.Null()]),
  duplicate: Type.Boolean({ description: 'true (with 200) for a repeat of an idempotency key within the window: no action ran.' }),
})

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

  const shape = { security: [], 'x-raw-body': true as const, params: Type.Object({ sourceId: Type.String() }) }
  const handle = receive(false)
  const handleTrack = receive(true)

  app.post(
    '/in/:sourceId',
    {
      schema: {
        ...op('receiveWebhook', 'Receive a webhook', 'Where a service sends its webhooks for this source, any JSON body: verified with the source\'s signature scheme, deduplicated by its idempotency key, and mapped into events. No bearer token: the signature is the authentication.', ['verification_failed']),
        ...shape,
        response: { 200: Type.Union([Accepted, Type.Object({ challenge: Type.String({ description: "Slack's URL verification, answered." }) })]), 202: Accepted },
      },
    },
    async (req, reply) => {
      const answer = await handle(req)
      return reply.code(answer.status).send(answer.body)
    },
  )

  app.post(
    '/in/:sourceId/track',
    {
      schema: {
        ...op('receiveTrackCall', 'Receive a Segment track call', "Takes a Segment track call and answers 204; its event type is the call's `event`, its payload the whole call.", ['verification_failed', 'invalid_event']),
        ...shape,
        response: { 204: NoContent },
      },
    },
    async (req, reply) => {
      await handleTrack(req)
      return reply.code(204).send()
    },
  )
}
