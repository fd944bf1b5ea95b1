import { Type, type TSchema } from 'typebox'

// Shapes of the public API (API.md). Response schemas double as an allow-list: a field not listed
// here never leaves the server, which is how sealed secrets and key hashes stay in.

const Time = Type.String({ format: 'date-time' })

/**
 * Text a client names things with, stored as it is: anything but U+0000, which PostgreSQL text
 * cannot hold (a 500 there, while SQLite kept it), so a value means the same on every store.
 */
export const Text = (options: Parameters<typeof Type.String>[0] = {}) => Type.String({ ...options, pattern: '^[^\\u0000]*$' })
/**
 * An object with any keys. TypeBox's string-keyed Record matches keys with `^.*$`, and the response
 * serializer drops the keys that fail it: any with a line break (`"a\nb"`), so metadata, headers
 * or a payload holding one came back without it, and a read-then-write lost it for good.
 */
export const Dict = <T extends TSchema>(value: T, options?: Parameters<typeof Type.Record>[2]) => Type.Record(Type.String({ pattern: '^[\\s\\S]*$' }), value, options)

const Json = Dict(Type.Unknown())

/** The answer of a DELETE and of other routes that answer 204 with no body. */
export const NoContent = Type.Null({ description: 'No content.' })

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
})

const PROBLEM_MEANING: Record<number, string> = {
  400: 'The request could not be read (malformed JSON).',
  401: 'No token, a wrong one, or an expired or revoked portal session.',
  403: 'The token may not do this (another tenant, an admin-only action, or a portal capability missing).',
  404: 'No such resource, or it belongs to another tenant.',
  413: 'The body is over the size limit.',
  422: 'Well-formed but invalid; `errors` names each field.',
  500: 'A bug in Hookrelay.',
}

/** The problem responses of an operation, for OpenAPI: `...problems(401, 403, 404)`. */
export const problems = (...statuses: number[]): Record<number, typeof Problem> =>
  Object.fromEntries(statuses.map((s) => [s, { ...Problem, description: PROBLEM_MEANING[s] ?? 'A problem document.' }]))

export const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
})

export const listOf = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })

export const TenantId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
export const Metadata = Dict(Type.Unknown(), { description: 'Free-form JSON, at most 16 KiB.' })

export const TenantOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  metadata: Json,
  allowedNetworks: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: "The private networks (CIDRs) this tenant's endpoints, rendered URLs and routes may reach; null = the server-wide HOOKRELAY_ALLOWED_NETWORKS, [] = none. Set by the admin token only.",
  }),
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
  {
    additionalProperties: false,
    description:
      "Fields left out take the server's default retry: HOOKRELAY_DEFAULT_RETRY when the operator set one, otherwise 3 retries after 1, 2 and 4 s (each delay doubling, plus at most 10% jitter).",
  },
)

const Method = Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('GET')], {
  description: 'Default POST. GET sends the JSON body\'s top-level fields as query parameters (objects and arrays JSON-encoded), no body, and signs the query string in place of the body.',
})
const Ordering = Type.Union([Type.Literal('none'), Type.Literal('fifo')], {
  description:
    'none (default) or fifo: the endpoint\'s deliveries are attempted one at a time, in publish order; a delivery waiting for a retry holds back the later ones until it succeeds or finally fails. Holds across restarts and with several workers. Turned on, it orders what is published from then on; turned off, what waited goes at once.',
})
const AuthType = Type.Union([Type.Literal('none'), Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('header')])
const Format = Type.Union([Type.Literal('json'), Type.Literal('text')], { description: 'json (application/json) or text (text/plain). Default json.' })

/** Auth: the fields of its type. Credentials (token, password, value) are never returned in full. */
const AuthIn = Type.Object(
  {
    type: AuthType,
    token: Type.Optional(Type.String({ maxLength: 8192, description: 'bearer: sent as `Authorization: Bearer <token>`.' })),
    username: Type.Optional(Type.String({ maxLength: 256, description: 'basic.' })),
    password: Type.Optional(Type.String({ maxLength: 1024, description: 'basic.' })),
    name: Type.Optional(Type.String({ maxLength: 256, description: 'header: the header name.' })),
    value: Type.Optional(Type.String({ maxLength: 8192, description: 'header: the header value.' })),
  },
  {
    additionalProperties: false,
    description:
      'How requests authenticate: {"type":"none"}, {"type":"bearer","token"}, {"type":"basic","username","password"} or {"type":"header","name","value"}. Encrypted at rest; reads show a masked hint, which may be sent back unchanged to keep the stored credential.',
  },
)
const AuthOut = Type.Object({
  type: AuthType,
  token: Type.Optional(Type.String({ description: 'Masked hint.' })),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String({ description: 'Masked hint.' })),
  name: Type.Optional(Type.String()),
  value: Type.Optional(Type.String({ description: 'Masked hint.' })),
})

const payloadFields = {
  format: Format,
  template: Type.Union([Type.String({ maxLength: 65536 }), Type.Null()], {
    description:
      'A Liquid template for the body, rendered with `event` (id, type, timestamp, data), `endpoint` and `tenant` (id, name, metadata). Output is not escaped: serialize values into JSON with the `json` filter. Default null: the {id, type, timestamp, data} envelope.',
  }),
  extraFields: Dict(Type.Unknown(), { description: 'Static fields merged over the top level of a JSON body. Default {}.' }),
  includeRequestBody: Type.Boolean({ description: "Keep request.body in a gateway-shaped payload (request.* events). Default true." }),
  includeResponseBody: Type.Boolean({ description: 'Keep response.body. Default true.' }),
  includeHeaders: Type.Boolean({ description: 'Keep request.headers and response.headers. Default false.' }),
  includeStatusCode: Type.Boolean({ description: 'Keep response.status. Default true.' }),
}
const PayloadIn = Type.Object(
  Object.fromEntries(Object.entries(payloadFields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof typeof payloadFields]: ReturnType<typeof Type.Optional<(typeof payloadFields)[K]>>
  },
  { additionalProperties: false, description: 'A partial object keeps the current (or default) value of each field it leaves out.' },
)
const PayloadOut = Type.Object(payloadFields)

export const EndpointFields = {
  name: Text({ maxLength: 256 }),
  description: Text({ maxLength: 1024 }),
  url: Text({
    maxLength: 2048,
    description: 'http:// or https:// (https:// only when the server sets HOOKRELAY_REQUIRE_HTTPS). May be Liquid over tenant.metadata and endpoint.metadata, e.g. {{ tenant.metadata.hookUrl }}; the rendered URL is what the SSRF guard checks.',
  }),
  enabled: Type.Boolean(),
  eventTypes: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100 }),
  channels: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 }),
  retry: RetryIn,
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 60 }),
  rateLimitPerSecond: Type.Union([Type.Integer({ minimum: 1, maximum: 100000 }), Type.Null()]),
  ordering: Ordering,
  metadata: Metadata,
  method: Method,
  auth: AuthIn,
  headers: Dict(Type.String({ maxLength: 8192 }), {
    maxProperties: 50,
    description:
      'Sent on every request; values may be Liquid like the URL. Framing headers (host, content-length, transfer-encoding, connection...) and webhook-* are refused. Values whose name reads as a credential (Authorization, Cookie, X-Api-Key, names with token, secret, password, signature, auth...) are encrypted at rest and shown as a masked hint (`Bearer ****cdef`, `****cdef`); headers are replaced as a whole, and a hint sent back unchanged under the same name keeps the stored value.',
  }),
  queryParams: Dict(Type.String({ maxLength: 2048 }), {
    maxProperties: 50,
    description: "Added to the URL's query, replacing parameters of the same name.",
  }),
  payload: PayloadIn,
}

/** OpenAPI examples of whole endpoints (see the README's Recipes for more). */
export const endpointExamples = [
  {
    name: 'Slack errors',
    url: 'https://hooks.slack.com/services/T000/B000/XXXX',
    eventTypes: ['request.server_error'],
    payload: { template: '{"text": {{ "Route " | append: event.data.route | append: " answered " | append: event.data.response.status | json }}}' },
  },
  {
    name: 'Zapier',
    url: 'https://hooks.zapier.com/hooks/catch/123456/abcdef/',
    eventTypes: ['invoice.*'],
    payload: { template: '{"event": {{ event.type | json }}, "invoice": {{ event.data | json }}}', extraFields: { source: 'hookrelay' } },
  },
]

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
  ordering: Ordering,
  metadata: Json,
  method: Method,
  auth: AuthOut,
  headers: Dict(Type.String(), { description: 'Credential-named values (Authorization, Cookie, X-Api-Key...) as masked hints, the others as stored.' }),
  queryParams: Dict(Type.String()),
  payload: PayloadOut,
  createdAt: Time,
  updatedAt: Time,
})

export const EventIn = Type.Object(
  {
    type: EventTypeName,
    payload: Dict(Type.Unknown()),
    idempotencyKey: Type.Optional(Text({ minLength: 1, maxLength: 256 })),
    channels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
    occurredAt: Type.Optional(Time),
  },
  {
    additionalProperties: false,
    examples: [
      { type: 'invoice.paid', payload: { invoiceId: 'in_123', amount: 4200 }, idempotencyKey: 'invoice-in_123-paid' },
      { type: 'order.shipped', payload: { orderId: 'ord_9' }, channels: ['eu'], occurredAt: '2026-12-01T10:00:00Z' },
    ],
  },
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
    headers: Dict(Type.String(), { description: 'As sent, with the auth header, credential-named headers and webhook-signature masked (`Bearer ****cdef`, `v1,****abc=`).' }),
    body: Type.Union([Type.String(), Type.Null()]),
  }),
  response: Type.Union([
    Type.Object({ status: Type.Integer(), headers: Dict(Type.String()), body: Type.String() }),
    Type.Null(),
  ]),
  error: Type.Union([Type.Object({ kind: Type.String(), message: Type.String() }), Type.Null()]),
  success: Type.Boolean(),
})

const deliveryFields = {
  id: Type.String(),
  eventId: Type.String(),
  endpointId: Type.String(),
  eventType: Type.Optional(Type.String({ description: "Its event's type (in lists)." })),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  attemptCount: Type.Integer(),
  nextAttemptAt: Type.Union([Time, Type.Null()], { description: 'When the next attempt is due; null once final, and while an attempt is in flight.' }),
  inFlight: Type.Boolean({ description: 'A worker holds the delivery: its attempt is being made (or queued on that worker to be made) now.' }),
  createdAt: Time,
  updatedAt: Time,
}
export const DeliveryOut = Type.Object(deliveryFields)
export const DeliveryDetailOut = Type.Object({ ...deliveryFields, attempts: Type.Array(AttemptOut) })
export const EventDetailOut = Type.Object({ ...EventOut.properties, deliveries: Type.Array(DeliveryOut) })
