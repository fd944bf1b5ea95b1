import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ServerResponse } from 'node:http'
import { Type, type Static } from 'typebox'
import { notFound } from '../../errors.js'
import type { AttemptNotice } from '../../services/attempt-feed.js'
import type { AppDeps } from '../app.js'
import { AttemptOut, DeliveryOut, problems } from '../schemas.js'

/** API.md: "a heartbeat comment at least every 15 s". */
const HEARTBEAT_MS = 10_000
/** How often a portal token's stream checks that its session still stands (revoked or expired: the stream ends). */
const PORTAL_RECHECK_MS = 2_000
/** A client that reads slower than attempts arrive is cut off past this much unsent; it reconnects. */
const MAX_BUFFERED_BYTES = 1024 * 1024

/**
 * The `data:` of an `attempt` event: API.md's fields, then additions. In the OpenAPI document as
 * components.schemas.AttemptNotice (app.ts), so clients generated from it (the SDK) get its type.
 */
export const AttemptNoticeOut = Type.Object(
  {
    deliveryId: Type.String(),
    eventId: Type.String(),
    endpointId: Type.String(),
    attemptNumber: Type.Integer(),
    success: Type.Boolean(),
    status: Type.Union([Type.Integer(), Type.Null()], { description: "The response's HTTP status; null when none came." }),
    durationMs: Type.Integer(),
    startedAt: Type.String({ format: 'date-time' }),
    attemptId: Type.String(),
    eventType: Type.String(),
    trigger: AttemptOut.properties.trigger,
    deliveryStatus: { ...DeliveryOut.properties.status, description: "The delivery's status once this attempt was recorded." },
    errorKind: Type.Union([Type.String(), Type.Null()], { description: "The attempt's error kind (timeout, network, tls, blocked, http, template); null on success." }),
  },
  { description: 'The data of an `attempt` event of `GET /v1/tenants/{tenantId}/deliveries/stream`.' },
)

const present = (n: AttemptNotice): Static<typeof AttemptNoticeOut> => ({
  deliveryId: n.deliveryId,
  eventId: n.eventId,
  endpointId: n.endpointId,
  attemptNumber: n.attemptNumber,
  success: n.success,
  status: n.status,
  durationMs: n.durationMs,
  startedAt: new Date(n.startedAt).toISOString(),
  attemptId: n.attemptId,
  eventType: n.eventType,
  trigger: n.trigger,
  deliveryStatus: n.deliveryStatus,
  errorKind: n.errorKind,
})

/** `GET /v1/tenants/{tenantId}/deliveries/stream`: each attempt of the tenant as it is recorded, as server-sent events. */
export const deliveryStreamRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { store, feed, access, metrics }) => {
  const open = new Set<ServerResponse>()
  // Streams never end on their own: a graceful stop ends them before the server waits for its connections.
  app.addHook('preClose', async () => {
    for (const res of open) res.end()
  })

  app.get(
    '/v1/tenants/:tenantId/deliveries/stream',
    {
      schema: {
        operationId: 'streamAttempts',
        summary: 'Follow attempts live',
        description:
          "Server-sent events (`text/event-stream`): `event: attempt` with `data: {deliveryId, eventId, endpointId, attemptNumber, success, status, durationMs, startedAt, attemptId, eventType, trigger, deliveryStatus, errorKind}` for each attempt of the tenant as it is recorded, by any node (on PostgreSQL through LISTEN/NOTIFY). `status` is the response's HTTP status (null without one); `deliveryStatus` the delivery's status after the attempt. A comment line opens the stream and another comes at least every 15 s. `endpointId` narrows it to one endpoint. Send the token in the Authorization header (read the stream with fetch: EventSource cannot send one). A portal token's stream ends when its session is revoked or expires.",
        tags: ['deliveries'],
        params: Type.Object({ tenantId: Type.String() }),
        querystring: Type.Object({ endpointId: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: {
          200: {
            description: 'The stream: each `attempt` event\'s `data` is an AttemptNotice (components.schemas).',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...problems(401, 403, 404, 422),
        },
      },
    },
    async (req, reply) => {
      const { tenantId } = req.params
      if (!(await store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
      const only = req.query.endpointId
      const res = reply.raw
      let unsubscribe = (): void => {}
      const timers: NodeJS.Timeout[] = []
      const end = (): void => {
        unsubscribe()
        for (const t of timers) clearInterval(t)
        if (open.delete(res)) metrics.attemptStreams.dec()
        if (!res.writableEnded) res.end()
      }
      const send = (text: string): void => {
        if (res.writableEnded) return
        if (res.writableLength > MAX_BUFFERED_BYTES) return end()
        res.write(text)
      }
      unsubscribe = await feed.subscribe(tenantId, (n) => {
        if (only === undefined || n.endpointId === only) send(`event: attempt\ndata: ${JSON.stringify(present(n))}\n\n`)
      })
      reply.hijack()
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        // Proxies such as nginx buffer responses unless told not to.
        'x-accel-buffering': 'no',
      })
      res.write(': hookrelay attempts\n\n')
      open.add(res)
      metrics.attemptStreams.inc()
      res.on('close', end)
      timers.push(setInterval(() => send(': heartbeat\n\n'), HEARTBEAT_MS))
      const principal = req.principal
      if (principal?.kind === 'portal') {
        const authorization = req.headers.authorization
        timers.push(
          setInterval(() => {
            access.identify(authorization).then(
              (who) => {
                if (who?.kind !== 'portal') end()
              },
              () => {},
            )
          }, PORTAL_RECHECK_MS),
        )
      }
    },
  )
}
