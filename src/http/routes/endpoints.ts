import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { parseTime } from '../parse-time.js'
import { decodeCursor, page, presentAttempt, presentEndpoint } from '../present.js'
import { AttemptOut, Dict, endpointExamples, EndpointFields, EndpointOut, EventTypeName, listOf, ListQuery, NoContent } from '../schemas.js'

const TenantParams = Type.Object({ tenantId: Type.String() })
const EndpointParams = Type.Object({ tenantId: Type.String(), endpointId: Type.String() })
const opt = Object.fromEntries(Object.entries(EndpointFields).map(([k, v]) => [k, Type.Optional(v)])) as {
  [K in keyof typeof EndpointFields]: ReturnType<typeof Type.Optional<(typeof EndpointFields)[K]>>
}
const EndpointCreate = Type.Object({ ...opt, url: EndpointFields.url }, { additionalProperties: false, examples: endpointExamples })
const EndpointPatch = Type.Object(opt, { additionalProperties: false, examples: [{ enabled: false }, { eventTypes: ['invoice.*'], retry: { maxRetries: 5 } }] })
const SecretOut = Type.Object({ secret: Type.String() })
const Iso = Type.String({ format: 'date-time' })

const StatsOut = Type.Object({
  total: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  pending: Type.Integer(),
  successRate: Type.Union([Type.Number(), Type.Null()]),
  avgResponseMs: Type.Union([Type.Number(), Type.Null()]),
  p95ResponseMs: Type.Union([Type.Number(), Type.Null()]),
  lastAttemptAt: Type.Union([Iso, Type.Null()]),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
})

/**
 * The bodies of rotate and test are optional (API.md: `{"secret"?}`, `{"eventType"?, "payload"?}`):
 * a POST without a body means "no options", so it is validated as `{}`.
 */
const noBodyIsEmpty = async (req: { body: unknown }): Promise<void> => {
  req.body ??= {}
}

const op = operations('endpoints')

export const endpointRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { endpoints }) => {
  const base = '/v1/tenants/:tenantId/endpoints'

  app.post(base, { config: { access: { capability: 'endpoints.write' } }, schema: { ...op('createEndpoint', 'Create an endpoint', 'Only `url` is required; every other field defaults as API.md shows, field by field. A URL that resolves to a private, loopback, link-local or metadata address is refused (422 `url_not_allowed`) unless the allowed networks cover it.', ['url_not_allowed']), params: TenantParams, body: EndpointCreate, response: { 201: EndpointOut } } }, async (req, reply) => {
    const ep = await endpoints.create(req.params.tenantId, req.body)
    return reply.code(201).send(presentEndpoint(ep))
  })

  app.post(
    `${base}/preview`,
    {
      // Previewing reads: nothing is sent or stored, and no stored credential is opened.
      config: { access: 'read' },
      schema: {
        ...op(
          'previewEndpointRequest',
          "Preview an endpoint's request",
          "The request a delivery to an endpoint made of `endpoint` (create's fields) would send now, built by the delivery's own code: URL, headers (signature headers signed with a placeholder secret, not the endpoint's), and body as sent, rendered against `payload`, else the event type's example, else `{}`. `eventType` defaults to `webhook.test`. Nothing is sent or stored; where the URL resolves is not checked (saving does). Field errors name `/endpoint/...`; a template that fails to render is 422 `template_failed`.",
          ['template_failed'],
        ),
        params: TenantParams,
        body: Type.Object(
          { endpoint: EndpointCreate, eventType: Type.Optional(EventTypeName), payload: Type.Optional(Dict(Type.Unknown())) },
          {
            additionalProperties: false,
            examples: [
              { endpoint: { url: 'https://example.com/hook' } },
              { endpoint: { url: 'https://example.com/hook', payload: { template: '{"text": "Invoice {{ event.data.invoiceId }} paid"}' } }, eventType: 'invoice.paid', payload: { invoiceId: 'in_123' } },
            ],
          },
        ),
        response: { 200: Type.Object({ request: Type.Object({ method: Type.String(), url: Type.String(), headers: Dict(Type.String()), body: Type.String() }) }) },
      },
    },
    async (req) => {
      const { endpoint, eventType, payload } = req.body
      return { request: await endpoints.preview(req.params.tenantId, endpoint, { type: eventType ?? 'webhook.test', payload: payload ?? null }) }
    },
  )

  app.get(base, { schema: { ...op('listEndpoints', 'List endpoints', "The tenant's endpoints, oldest first."), params: TenantParams, querystring: ListQuery, response: { 200: listOf(EndpointOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await endpoints.list(req.params.tenantId, { limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, presentEndpoint)
  })

  app.get(`${base}/:endpointId`, { schema: { ...op('getEndpoint', 'Get an endpoint', 'One endpoint. Credentials in `auth` and credential-like headers are masked.'), params: EndpointParams, response: { 200: EndpointOut } } }, async (req) =>
    presentEndpoint(await endpoints.get(req.params.tenantId, req.params.endpointId)),
  )

  app.patch(
    `${base}/:endpointId`,
    { config: { access: { capability: 'endpoints.write' } }, schema: { ...op('updateEndpoint', 'Update an endpoint', 'Changes the fields given; the others keep their value, and a partial `payload` or `retry` keeps the fields it leaves out.', ['url_not_allowed']), params: EndpointParams, body: EndpointPatch, response: { 200: EndpointOut } } },
    async (req) => presentEndpoint(await endpoints.update(req.params.tenantId, req.params.endpointId, req.body ?? {})),
  )

  app.delete(`${base}/:endpointId`, { config: { access: { capability: 'endpoints.write' } }, schema: { ...op('deleteEndpoint', 'Delete an endpoint', 'Deletes the endpoint; its pending deliveries stop.'), params: EndpointParams, response: { 204: NoContent } } }, async (req, reply) => {
    await endpoints.delete(req.params.tenantId, req.params.endpointId)
    return reply.code(204).send(null)
  })

  app.get(`${base}/:endpointId/secret`, { config: { access: { capability: 'secrets.read' } }, schema: { ...op('getEndpointSecret', "Get an endpoint's signing secret", 'The `whsec_` secret receivers verify `webhook-signature` with.'), params: EndpointParams, response: { 200: SecretOut } } }, async (req) => ({
    secret: await endpoints.revealSecret(req.params.tenantId, req.params.endpointId),
  }))

  app.post(
    `${base}/:endpointId/secret/rotate`,
    {
      config: { access: { capability: 'secrets.rotate' } },
      schema: {
        ...op('rotateEndpointSecret', "Rotate an endpoint's signing secret", 'Sets a new secret (given, or generated); the old one keeps signing alongside it for 24 hours, so receivers can switch without losing a delivery.'),
        params: EndpointParams,
        body: Type.Object(
          { secret: Type.Optional(Type.String({ maxLength: 200, description: 'A whsec_ secret of your own; default a new random one.' })) },
          { additionalProperties: false, examples: [{}, { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] },
        ),
        response: { 200: SecretOut },
      },
      preValidation: noBodyIsEmpty,
    },
    async (req) => ({ secret: await endpoints.rotateSecret(req.params.tenantId, req.params.endpointId, req.body.secret) }),
  )

  app.post(
    `${base}/:endpointId/test`,
    {
      config: { access: { capability: 'deliveries.retry' } },
      schema: {
        ...op('testEndpoint', 'Send a test event', 'Sends one event (`webhook.test` unless `eventType` says otherwise) to the endpoint at once, whatever its filters, and answers with the attempt.'),
        params: EndpointParams,
        body: Type.Object(
          { eventType: Type.Optional(EventTypeName), payload: Type.Optional(Dict(Type.Unknown())) },
          { additionalProperties: false, examples: [{}, { eventType: 'invoice.paid', payload: { invoiceId: 'in_123', amount: 4200 } }] },
        ),
        response: { 200: AttemptOut },
      },
      preValidation: noBodyIsEmpty,
    },
    async (req) => presentAttempt(await endpoints.test(req.params.tenantId, req.params.endpointId, req.body)),
  )

  app.get(
    `${base}/:endpointId/stats`,
    { schema: { ...op('getEndpointStats', "Get an endpoint's delivery stats", "Counts, success rate and response times of the endpoint's deliveries since `since` (default the last 24 hours)."), params: EndpointParams, querystring: Type.Object({ since: Type.Optional(Type.String()) }), response: { 200: StatsOut } } },
    async (req) => {
      const since = req.query.since === undefined ? Date.now() - 24 * 3600 * 1000 : parseTime(req.query.since, '/query/since')
      const s = await endpoints.stats(req.params.tenantId, req.params.endpointId, since)
      return { ...s, lastAttemptAt: s.lastAttemptAt === null ? null : new Date(s.lastAttemptAt).toISOString() }
    },
  )

  app.post(
    `${base}/:endpointId/recover`,
    {
      config: { access: { capability: 'deliveries.retry' } },
      schema: {
        ...op('recoverEndpoint', 'Recover failed deliveries', "Queues again every delivery of this endpoint that failed since `since` (one attempt each, now) and answers 202 with how many. With `dryRun: true` nothing is queued: 200 with the count it would be."),
        params: EndpointParams,
        body: Type.Object(
          { since: Type.String({ description: 'ISO 8601.' }), dryRun: Type.Optional(Type.Boolean({ description: 'Only count them. Default false.' })) },
          { additionalProperties: false, examples: [{ since: '2026-01-01T00:00:00Z' }, { since: '2026-01-01T00:00:00Z', dryRun: true }] },
        ),
        response: {
          200: Type.Object({ count: Type.Integer() }, { description: 'dryRun: how many would be queued.' }),
          202: Type.Object({ count: Type.Integer() }, { description: 'Queued.' }),
        },
      },
    },
    async (req, reply) => {
      const dryRun = req.body.dryRun === true
      const count = await endpoints.recover(req.params.tenantId, req.params.endpointId, parseTime(req.body.since, '/since'), dryRun)
      return reply.code(dryRun ? 200 : 202).send({ count })
    },
  )
}
