import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { decodeCursor, page, publicBase, presentRequest, presentSource } from '../present.js'
import { Dict, EventTypeName, listOf, ListQuery, NoContent, Text } from '../schemas.js'

const Time = Type.String({ format: 'date-time' })
const Path = Text({ minLength: 1, maxLength: 256, description: 'A dot path into the JSON body (data.object.id), or $headers.<name>.' })
const VerificationType = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('hmac'),
    Type.Literal('standard-webhooks'),
    Type.Literal('stripe'),
    Type.Literal('github'),
    Type.Literal('shopify'),
    Type.Literal('slack'),
  ],
  { description: 'How requests are authenticated: none, or the signature scheme of the sending service.' },
)
const verificationFields = {
  secret: Type.String({ maxLength: 1024, description: 'The signing secret, as the provider shows it (whsec_... for standard-webhooks and Stripe). Required unless type is none. Encrypted at rest; reads show a hint.' }),
  header: Type.String({ maxLength: 256, description: 'hmac: the signature header. Default X-Hookrelay-Signature (X-Knock-Signature for Knock).' }),
  encoding: Type.Union([Type.Literal('hex'), Type.Literal('base64')], { description: 'hmac: default hex.' }),
  prefix: Type.String({ maxLength: 64, description: 'hmac: text before the signature, such as sha256=. Default none.' }),
  toleranceSeconds: Type.Integer({ minimum: 1, maximum: 86400, description: 'Clock difference allowed either way by schemes that sign a timestamp (standard-webhooks, stripe, slack). Default 300.' }),
}
const VerificationIn = Type.Object(
  {
    type: VerificationType,
    secret: Type.Optional(verificationFields.secret),
    header: Type.Optional(verificationFields.header),
    encoding: Type.Optional(verificationFields.encoding),
    prefix: Type.Optional(verificationFields.prefix),
    toleranceSeconds: Type.Optional(verificationFields.toleranceSeconds),
  },
  { additionalProperties: false },
)
const MappingIn = Type.Object(
  {
    eventType: Type.String({ minLength: 1, maxLength: 128, description: 'The received type, * for every event, or a pattern such as invoice.*.' }),
    action: Type.Literal('publish'),
    publishAs: Type.Optional(Type.Union([EventTypeName, Type.Null()], { description: 'The outbound event type. Default: the received type.' })),
    fields: Type.Optional(
      Type.Union([Dict(Path, { maxProperties: 100 }), Type.Null()], {
        description: 'Outbound payload field -> dot path (case-sensitive; arrays and objects carried as they are). Default: the whole body.',
      }),
    ),
    required: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100, description: 'Fields that must have a value, or the action is skipped.' })),
  },
  { additionalProperties: false },
)
const Idempotency = Type.Object(
  { keyPath: Path, windowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86400, description: 'Default 86400.' })) },
  { additionalProperties: false },
)
const sourceFields = {
  name: Text({ maxLength: 256 }),
  enabled: Type.Boolean({ description: 'A disabled source answers 404 at its ingest URL.' }),
  verification: VerificationIn,
  eventTypePath: Type.String({ ...Path, description: 'Where the event type is. Default event_type; $headers.X-GitHub-Event for GitHub.' }),
  timestampPath: Type.Union([Path, Type.Null()], { description: "Where the event's time is; it becomes the published event's occurredAt. Default none." }),
  idempotency: Type.Union([Idempotency, Type.Null()], { description: 'A repeat of the key within the window answers 200 with duplicate: true and runs no action.' }),
  mappings: Type.Array(MappingIn, { maxItems: 50 }),
}
const SourceCreate = Type.Object(
  {
    name: sourceFields.name,
    verification: sourceFields.verification,
    enabled: Type.Optional(sourceFields.enabled),
    eventTypePath: Type.Optional(sourceFields.eventTypePath),
    timestampPath: Type.Optional(sourceFields.timestampPath),
    idempotency: Type.Optional(sourceFields.idempotency),
    mappings: Type.Optional(sourceFields.mappings),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'Stripe',
        verification: { type: 'stripe', secret: 'whsec_...' },
        eventTypePath: 'type',
        timestampPath: 'created',
        idempotency: { keyPath: 'id' },
        mappings: [{ eventType: 'invoice.paid', action: 'publish', publishAs: 'billing.invoice_paid', fields: { invoiceId: 'data.object.id', amount: 'data.object.amount_paid' }, required: ['invoiceId'] }],
      },
    ],
  },
)
const SourcePatch = Type.Object(
  Object.fromEntries(Object.entries(sourceFields).map(([k, v]) => [k, Type.Optional(v)])) as { [K in keyof typeof sourceFields]: ReturnType<typeof Type.Optional<(typeof sourceFields)[K]>> },
  { additionalProperties: false, examples: [{ enabled: false }, { verification: { type: 'github', secret: 'a-new-secret' } }] },
)
const SourceOut = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  enabled: Type.Boolean(),
  ingestUrl: Type.String({ description: 'Where the service sends its webhooks: POST, any JSON body. /track beside it takes Segment track calls.' }),
  verification: Type.Object({
    type: VerificationType,
    secret: Type.Union([Type.String({ description: 'Masked hint.' }), Type.Null()]),
    header: Type.Union([Type.String(), Type.Null()]),
    encoding: Type.Union([Type.String(), Type.Null()]),
    prefix: Type.Union([Type.String(), Type.Null()]),
    toleranceSeconds: Type.Integer(),
  }),
  eventTypePath: Type.String(),
  timestampPath: Type.Union([Type.String(), Type.Null()]),
  idempotency: Type.Union([Type.Object({ keyPath: Type.String(), windowSeconds: Type.Integer() }), Type.Null()]),
  mappings: Type.Array(
    Type.Object({
      eventType: Type.String(),
      action: Type.String(),
      publishAs: Type.Union([Type.String(), Type.Null()]),
      fields: Type.Union([Dict(Type.String()), Type.Null()]),
      required: Type.Array(Type.String()),
    }),
  ),
  createdAt: Time,
  updatedAt: Time,
})
const RequestLogOut = Type.Object({
  id: Type.String(),
  receivedAt: Time,
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('verification_failed'), Type.Literal('invalid')]),
  eventType: Type.Union([Type.String(), Type.Null()]),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  actions: Type.Array(
    Type.Object({
      action: Type.String(),
      status: Type.Union([Type.Literal('succeeded'), Type.Literal('skipped'), Type.Literal('failed')]),
      error: Type.Union([Type.String(), Type.Null()]),
      eventId: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  request: Type.Object({
    method: Type.String(),
    path: Type.String(),
    headers: Dict(Type.String(), { description: 'Credentials and signatures redacted.' }),
    body: Type.String(),
  }),
})
const SecretOut = Type.Object({ secret: Type.String() })
const TenantParams = Type.Object({ tenantId: Type.String() })
const SourceParams = Type.Object({ tenantId: Type.String(), sourceId: Type.String() })

const op = operations('sources')

export const sourceRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { sources, publicUrl }) => {
  const base = '/v1/tenants/:tenantId/sources'
  const baseUrl = (req: { protocol: string; host: string }) => publicBase(publicUrl, req)

  app.post(base, { schema: { ...op('createSource', 'Create an inbound source', "A URL other services send webhooks to (`ingestUrl`): verified with the provider's signature scheme, deduplicated, and mapped into events of this tenant."), params: TenantParams, body: SourceCreate, response: { 201: SourceOut } } }, async (req, reply) => {
    const s = await sources.create(req.params.tenantId, req.body)
    return reply.code(201).send(presentSource(s, baseUrl(req)))
  })

  app.get(base, { schema: { ...op('listSources', 'List inbound sources', "The tenant's sources, oldest first."), params: TenantParams, querystring: ListQuery, response: { 200: listOf(SourceOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await sources.list(req.params.tenantId, { limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, (s) => presentSource(s, baseUrl(req)))
  })

  app.get(`${base}/:sourceId`, { schema: { ...op('getSource', 'Get an inbound source', 'One source; its secret is masked.'), params: SourceParams, response: { 200: SourceOut } } }, async (req) =>
    presentSource(await sources.get(req.params.tenantId, req.params.sourceId), baseUrl(req)),
  )

  app.patch(`${base}/:sourceId`, { schema: { ...op('updateSource', 'Update an inbound source', 'Changes the fields given; the others keep their value.'), params: SourceParams, body: SourcePatch, response: { 200: SourceOut } } }, async (req) =>
    presentSource(await sources.update(req.params.tenantId, req.params.sourceId, req.body ?? {}), baseUrl(req)),
  )

  app.delete(`${base}/:sourceId`, { schema: { ...op('deleteSource', 'Delete an inbound source', 'Deletes the source; its ingest URL answers 404 from then on.'), params: SourceParams, response: { 204: NoContent } } }, async (req, reply) => {
    await sources.delete(req.params.tenantId, req.params.sourceId)
    return reply.code(204).send(null)
  })

  app.get(`${base}/:sourceId/secret`, { schema: { ...op('getSourceSecret', "Get an inbound source's secret", 'The verification secret in full.'), params: SourceParams, response: { 200: SecretOut } } }, async (req) => ({
    secret: await sources.revealSecret(req.params.tenantId, req.params.sourceId),
  }))

  app.post(
    `${base}/:sourceId/secret/rotate`,
    {
      schema: {
        ...op('rotateSourceSecret', "Rotate an inbound source's secret", 'Sets a new verification secret (given, or generated).'),
        params: SourceParams,
        body: Type.Object(
          { secret: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'The new secret; default a new random one.' })) },
          { additionalProperties: false, examples: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }] },
        ),
        response: { 200: SecretOut },
      },
      preValidation: async (req) => {
        req.body ??= {}
      },
    },
    async (req) => ({ secret: await sources.rotateSecret(req.params.tenantId, req.params.sourceId, req.body.secret) }),
  )

  app.get(
    `${base}/:sourceId/logs`,
    { schema: { ...op('listSourceLogs', "List an inbound source's request log", 'Each request received, newest first: its status, event type and what each mapping did.'), params: SourceParams, querystring: ListQuery, response: { 200: listOf(RequestLogOut) } } },
    async (req) => {
      const limit = req.query.limit ?? 50
      const rows = await sources.logs(req.params.tenantId, req.params.sourceId, { limit, after: decodeCursor(req.query.cursor) })
      return page(rows, limit, presentRequest)
    },
  )
}
