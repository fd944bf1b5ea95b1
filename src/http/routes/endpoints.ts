import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { parseTime } from '../parse-time.js'
import { decodeCursor, page, presentAttempt, presentEndpoint } from '../present.js'
import { AttemptOut, Dict, EndpointFields, EndpointOut, endpointExamples, EventTypeName, ListQuery, listOf } from '../schemas.js'

const TenantParams = Type.Object({ tenantId: Type.String() })
const EndpointParams = Type.Object({ tenantId: Type.String(), endpointId: Type.String() })
const opt = Object.fromEntries(Object.entries(EndpointFields).map(([k, v]) => [k, Type.Optional(v)])) as {
  [K in keyof typeof EndpointFields]: ReturnType<typeof Type.Optional<(typeof EndpointFields)[K]>>
}
const EndpointCreate = Type.Object({ ...opt, url: EndpointFields.url }, { additionalProperties: false, examples: endpointExamples })
const EndpointPatch = Type.Object(opt, { additionalProperties: false })
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

export const endpointRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { endpoints }) => {
  const base = '/v1/tenants/:tenantId/endpoints'

  app.post(base, { config: { access: { capability: 'endpoints.write' } }, schema: { tags: ['endpoints'], params: TenantParams, body: EndpointCreate, response: { 201: EndpointOut } } }, async (req, reply) => {
    const ep = await endpoints.create(req.params.tenantId, req.body)
    return reply.code(201).send(presentEndpoint(ep))
  })

  app.get(base, { schema: { tags: ['endpoints'], params: TenantParams, querystring: ListQuery, response: { 200: listOf(EndpointOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await endpoints.list(req.params.tenantId, { limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, presentEndpoint)
  })

  app.get(`${base}/:endpointId`, { schema: { tags: ['endpoints'], params: EndpointParams, response: { 200: EndpointOut } } }, async (req) =>
    presentEndpoint(await endpoints.get(req.params.tenantId, req.params.endpointId)),
  )

  app.patch(
    `${base}/:endpointId`,
    { config: { access: { capability: 'endpoints.write' } }, schema: { tags: ['endpoints'], params: EndpointParams, body: EndpointPatch, response: { 200: EndpointOut } } },
    async (req) => presentEndpoint(await endpoints.update(req.params.tenantId, req.params.endpointId, req.body ?? {})),
  )

  app.delete(`${base}/:endpointId`, { config: { access: { capability: 'endpoints.write' } }, schema: { tags: ['endpoints'], params: EndpointParams } }, async (req, reply) => {
    await endpoints.delete(req.params.tenantId, req.params.endpointId)
    return reply.code(204).send()
  })

  app.get(`${base}/:endpointId/secret`, { config: { access: { capability: 'secrets.read' } }, schema: { tags: ['endpoints'], params: EndpointParams, response: { 200: SecretOut } } }, async (req) => ({
    secret: await endpoints.revealSecret(req.params.tenantId, req.params.endpointId),
  }))

  app.post(
    `${base}/:endpointId/secret/rotate`,
    {
      config: { access: { capability: 'secrets.rotate' } },
      schema: {
        tags: ['endpoints'],
        params: EndpointParams,
        body: Type.Object({ secret: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
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
        tags: ['endpoints'],
        params: EndpointParams,
        body: Type.Object(
          { eventType: Type.Optional(EventTypeName), payload: Type.Optional(Dict(Type.Unknown())) },
          { additionalProperties: false },
        ),
        response: { 200: AttemptOut },
      },
      preValidation: noBodyIsEmpty,
    },
    async (req) => presentAttempt(await endpoints.test(req.params.tenantId, req.params.endpointId, req.body)),
  )

  app.get(
    `${base}/:endpointId/stats`,
    { schema: { tags: ['endpoints'], params: EndpointParams, querystring: Type.Object({ since: Type.Optional(Type.String()) }), response: { 200: StatsOut } } },
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
        tags: ['endpoints'],
        params: EndpointParams,
        body: Type.Object({ since: Type.String() }, { additionalProperties: false }),
        response: { 202: Type.Object({ count: Type.Integer() }) },
      },
    },
    async (req, reply) => {
      const count = await endpoints.recover(req.params.tenantId, req.params.endpointId, parseTime(req.body.since, '/since'))
      return reply.code(202).send({ count })
    },
  )
}
