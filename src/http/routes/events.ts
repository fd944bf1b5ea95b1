import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { notFound } from '../../errors.js'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { parseTime } from '../parse-time.js'
import { decodeCursor, eventJson, page, presentAttempt, presentDelivery, presentEvent } from '../present.js'
import { DeliveryDetailOut, DeliveryOut, EventDetailOut, EventIn, EventOut, ListQuery, listOf, problems } from '../schemas.js'

const TenantParams = Type.Object({ tenantId: Type.String() })

const op = operations('events')
const deliveryOp = operations('deliveries')

export const eventRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { store, publisher, metrics, wake }) => {
  // A list under an unknown tenant is a 404, not an empty list (API.md: unknown ids are 404).
  const tenantMustExist = async (tenantId: string): Promise<void> => {
    if (!(await store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
  }

  app.post(
    '/v1/tenants/:tenantId/events',
    {
      schema: {
        ...op('publishEvent', 'Publish an event', "Stores the event and one delivery per matching enabled endpoint, then answers 202. Repeating an `idempotencyKey` (or `Idempotency-Key` header) within 24 hours answers 200 with the original event and creates nothing. A payload that fails its event type's schema is refused with 422."),
        params: TenantParams,
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }),
        body: EventIn,
        response: { 200: EventOut, 202: EventOut },
      },
    },
    async (req, reply) => {
      const b = req.body
      const occurredAt = b.occurredAt === undefined ? undefined : parseTime(b.occurredAt, '/occurredAt')
      const result = await publisher.publish(req.params.tenantId, {
        type: b.type,
        payload: b.payload,
        idempotencyKey: b.idempotencyKey ?? req.headers['idempotency-key'] ?? null,
        channels: b.channels ?? [],
        occurredAt,
      })
      if (result.created) metrics.published.inc()
      // 202: accepted and durably stored, delivery follows; 200: the idempotent repeat of an earlier publish.
      return reply
        .code(result.created ? 202 : 200)
        .type('application/json; charset=utf-8')
        // A string is sent as it is (Fastify skips the serializer); the schema still documents it.
        .send(eventJson(result.event) as unknown as ReturnType<typeof presentEvent>)
    },
  )

  app.get(
    '/v1/tenants/:tenantId/events',
    {
      schema: {
        ...op('listEvents', 'List events', "The tenant's events, newest first, optionally of one `type`."),
        params: TenantParams,
        querystring: Type.Object({ ...ListQuery.properties, type: Type.Optional(Type.String({ maxLength: 128 })) }),
        response: { 200: listOf(EventOut) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 50
      await tenantMustExist(req.params.tenantId)
      const rows = await store.listEvents(req.params.tenantId, { type: req.query.type }, { limit, after: decodeCursor(req.query.cursor) })
      return page(rows, limit, presentEvent)
    },
  )

  app.get(
    '/v1/tenants/:tenantId/events/:eventId',
    { schema: { ...op('getEvent', 'Get an event', 'One event with its deliveries.'), params: Type.Object({ tenantId: Type.String(), eventId: Type.String() }), response: { 200: EventDetailOut } } },
    async (req) => {
      const ev = await store.getEvent(req.params.tenantId, req.params.eventId)
      if (!ev) throw notFound(`Event ${req.params.eventId}`)
      const deliveries = await store.listDeliveries(req.params.tenantId, { eventId: ev.id }, { limit: 1000, after: null })
      const now = Date.now()
      return { ...presentEvent(ev), deliveries: deliveries.map((d) => presentDelivery(d, now)) }
    },
  )

  app.get(
    '/v1/tenants/:tenantId/deliveries',
    {
      schema: {
        ...deliveryOp('listDeliveries', 'List deliveries', "The tenant's deliveries, newest first, filtered by endpoint, event or status."),
        params: TenantParams,
        operationId: 'listDeliveries',
        summary: 'List deliveries',
        description:
          "The tenant's deliveries, newest first, each with its event's `eventType`. Filters combine: `endpointId`, `eventId`, `eventType` (exact), `status` (`pending`, `succeeded`, `failed`), and `since` (inclusive) / `until` (exclusive) on when the delivery was created (ISO 8601). Pages follow `nextCursor` with the same filters.",
        querystring: Type.Object({
          ...ListQuery.properties,
          endpointId: Type.Optional(Type.String()),
          eventId: Type.Optional(Type.String()),
          eventType: Type.Optional(Type.String({ maxLength: 128 })),
          status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')])),
          since: Type.Optional(Type.String({ description: 'ISO 8601; deliveries created at or after it.' })),
          until: Type.Optional(Type.String({ description: 'ISO 8601; deliveries created before it.' })),
        }),
        response: { 200: listOf(DeliveryOut), ...problems(401, 403, 404, 422) },
      },
    },
    async (req) => {
      const { limit = 50, cursor, endpointId, eventId, eventType, status } = req.query
      const since = req.query.since === undefined ? undefined : parseTime(req.query.since, '/query/since')
      const until = req.query.until === undefined ? undefined : parseTime(req.query.until, '/query/until')
      await tenantMustExist(req.params.tenantId)
      const filter = { endpointId, eventId, eventType, status, since, until }
      const rows = await store.listDeliveries(req.params.tenantId, filter, { limit, after: decodeCursor(cursor) })
      const now = Date.now()
      return page(rows, limit, (d) => presentDelivery(d, now))
    },
  )

  const DeliveryParams = Type.Object({ tenantId: Type.String(), deliveryId: Type.String() })

  app.get(
    '/v1/tenants/:tenantId/deliveries/:deliveryId',
    { schema: { ...deliveryOp('getDelivery', 'Get a delivery', 'One delivery with every attempt: the request as sent and the response as received.'), params: DeliveryParams, response: { 200: DeliveryDetailOut } } },
    async (req) => {
      const d = await store.getDelivery(req.params.tenantId, req.params.deliveryId)
      if (!d) throw notFound(`Delivery ${req.params.deliveryId}`)
      const attempts = await store.listAttempts(d.id)
      return { ...presentDelivery(d, Date.now()), attempts: attempts.map(presentAttempt) }
    },
  )

  app.post(
    '/v1/tenants/:tenantId/deliveries/:deliveryId/retry',
    { config: { access: { capability: 'deliveries.retry' } }, schema: { ...deliveryOp('retryDelivery', 'Retry a delivery', "One more attempt now, whatever the delivery's status."), params: DeliveryParams, response: { 202: DeliveryOut } } },
    async (req, reply) => {
      const d = await store.getDelivery(req.params.tenantId, req.params.deliveryId)
      const now = Date.now()
      if (!d || !(await store.requeueManual(req.params.tenantId, req.params.deliveryId, now))) throw notFound(`Delivery ${req.params.deliveryId}`)
      wake()
      // The delivery as the retry left it. Read back, it would show the attempt's lease instead
      // (the dispatcher may claim it before the read), as if the attempt were minutes away.
      return reply.code(202).send(presentDelivery({ ...d, status: 'pending', nextAttemptAt: now, leasedUntil: null, updatedAt: now }, now))
    },
  )
}
