import { Type, type TSchema } from 'typebox'

// Shapes of the public API (API.md). Response schemas double as an allow-list: a field not listed
// here never leaves the server, which is how sealed secrets and key hashes stay in.

const Time = Type.String({ format: 'date-time' })
const Json = Type.Record(Type.String(), Type.Unknown())

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
})

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
})

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })

export const TenantId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
export const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form JSON, at most 16 KiB.' })

export const TenantOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  metadata: Json,
  createdAt: Time,
  updatedAt: Time,
})

export const ApiKeyOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  key: Type.Optional(Type.String({ description: 'Shown only when the key is created.' })),
  createdAt: Time,
})

export const EventTypeName = Type.String({ pattern: '^[a-z0-9_-]+(\\.[a-z0-9_-]+)*$', maxLength: 128 })

export const EventTypeOut = Type.Object({
  name: Type.String(),
  description: Type.String(),
  schema: Type.Union([Json, Type.Null()]),
  example: Type.Union([Json, Type.Null()]),
  createdAt: Time,
  updatedAt: Time,
})

export const RetryIn = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: true })),
    maxRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20, description: '0-5, or up to the schedule length. Default 3.' })),
    schedule: Type.Optional(
      Type.Union([
        Type.Array(Type.Integer({ minimum: 1, maximum: 86400 }), { minItems: 1, maxItems: 20, description: 'Delays in seconds.' }),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
)

const Method = Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('GET')])
const AuthType = Type.Union([Type.Literal('none'), Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('header')])
const Format = Type.Union([Type.Literal('json'), Type.Literal('text')])

/**
 * Request shaping (API.md, Endpoints: method, auth, headers, queryParams, payload). This version
 * sends every request as POST with the default JSON envelope: these fields are part of the endpoint's
 * shape and accept their defaults, and other values are refused with 422 rather than ignored.
 */
const PayloadIn = Type.Object(
  {
    format: Type.Optional(Format),
    template: Type.Optional(Type.Union([Type.String({ maxLength: 65536 }), Type.Null()])),
    extraFields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    includeRequestBody: Type.Optional(Type.Boolean()),
    includeResponseBody: Type.Optional(Type.Boolean()),
    includeHeaders: Type.Optional(Type.Boolean()),
    includeStatusCode: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const PayloadOut = Type.Object({
  format: Format,
  template: Type.Union([Type.String(), Type.Null()]),
  extraFields: Type.Record(Type.String(), Type.Unknown()),
  includeRequestBody: Type.Boolean(),
  includeResponseBody: Type.Boolean(),
  includeHeaders: Type.Boolean(),
  includeStatusCode: Type.Boolean(),
})

export const EndpointFields = {
  name: Type.String({ maxLength: 256 }),
  description: Type.String({ maxLength: 1024 }),
  url: Type.String({ maxLength: 2048, description: 'http:// or https://' }),
  enabled: Type.Boolean(),
  eventTypes: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 }),
  channels: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 }),
  retry: RetryIn,
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 60 }),
  rateLimitPerSecond: Type.Union([Type.Integer({ minimum: 1, maximum: 100000 }), Type.Null()]),
  metadata: Metadata,
  method: Method,
  auth: Type.Object({ type: AuthType }, { additionalProperties: true }),
  headers: Type.Record(Type.String(), Type.String(), { maxProperties: 50 }),
  queryParams: Type.Record(Type.String(), Type.String(), { maxProperties: 50 }),
  payload: PayloadIn,
}

export const EndpointOut = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  description: Type.String(),
  url: Type.String(),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  eventTypes: Type.Array(Type.String()),
  channels: Type.Array(Type.String()),
  retry: Type.Object({
    enabled: Type.Boolean(),
    maxRetries: Type.Integer(),
    schedule: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
  }),
  timeoutSeconds: Type.Integer(),
  rateLimitPerSecond: Type.Union([Type.Integer(), Type.Null()]),
  metadata: Json,
  method: Method,
  auth: Type.Object({ type: AuthType }),
  headers: Type.Record(Type.String(), Type.String()),
  queryParams: Type.Record(Type.String(), Type.String()),
  payload: PayloadOut,
  createdAt: Time,
  updatedAt: Time,
})

export const EventIn = Type.Object(
  {
    type: EventTypeName,
    payload: Type.Record(Type.String(), Type.Unknown()),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    channels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
    occurredAt: Type.Optional(Time),
  },
  { additionalProperties: false },
)

export const EventOut = Type.Object({
  id: Type.String(),
  type: Type.String(),
  payload: Json,
  channels: Type.Array(Type.String()),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Time,
  createdAt: Time,
  deliveryCount: Type.Integer(),
})

export const AttemptOut = Type.Object({
  id: Type.String(),
  deliveryId: Type.String(),
  endpointId: Type.String(),
  attemptNumber: Type.Integer(),
  trigger: Type.Union([Type.Literal('scheduled'), Type.Literal('manual'), Type.Literal('test')]),
  startedAt: Time,
  durationMs: Type.Integer(),
  request: Type.Object({
    method: Type.String(),
    url: Type.String(),
    headers: Type.Record(Type.String(), Type.String()),
    body: Type.Union([Type.String(), Type.Null()]),
  }),
  response: Type.Union([
    Type.Object({ status: Type.Integer(), headers: Type.Record(Type.String(), Type.String()), body: Type.String() }),
    Type.Null(),
  ]),
  error: Type.Union([Type.Object({ kind: Type.String(), message: Type.String() }), Type.Null()]),
  success: Type.Boolean(),
})

const deliveryFields = {
  id: Type.String(),
  eventId: Type.String(),
  endpointId: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  attemptCount: Type.Integer(),
  nextAttemptAt: Type.Union([Time, Type.Null()]),
  createdAt: Time,
  updatedAt: Time,
}
export const DeliveryOut = Type.Object(deliveryFields)
export const DeliveryDetailOut = Type.Object({ ...deliveryFields, attempts: Type.Array(AttemptOut) })
export const EventDetailOut = Type.Object({ ...EventOut.properties, deliveries: Type.Array(DeliveryOut) })
