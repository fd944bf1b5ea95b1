import type { Capability } from './capabilities.js'
import type { Mapping } from './mappings.js'

/**
 * The domain records as the services and the store exchange them. Times are epoch milliseconds
 * inside the process; the HTTP layer turns them into ISO 8601 strings.
 */

export type JsonObject = { [key: string]: unknown }

export interface Tenant {
  id: string
  name: string
  metadata: JsonObject
  /**
   * The private networks (CIDRs) its endpoints, their rendered URLs and its routes may reach, in
   * place of the server-wide HOOKRELAY_ALLOWED_NETWORKS; [] = none. Default null: the server's list.
   */
  allowedNetworks: string[] | null
  createdAt: number
  updatedAt: number
}

/** A tenant as created: allowedNetworks may be left out (null, the server's list). */
export type NewTenant = Omit<Tenant, 'allowedNetworks'> & { allowedNetworks?: string[] | null }

export interface ApiKey {
  id: string
  tenantId: string
  name: string
  createdAt: number
}

/** How the portal looks to the tenant's people (API.md, "Dashboard and portal": theme). */
export interface PortalTheme {
  /** Shown in the portal's header and the page title. Default null (the tenant's name). */
  title: string | null
  /** `#rrggbb`: buttons, links and highlights. Default null (the app's own). */
  primaryColor: string | null
  /** An http(s) image URL shown beside the title. Default null. */
  logoUrl: string | null
  /** `auto` follows the viewer's system setting. Default auto. */
  mode: 'auto' | 'light' | 'dark'
}

/** A short-lived bearer token scoped to one tenant, for the embedded portal; the token itself is stored as a hash. */
export interface PortalSession {
  id: string
  tenantId: string
  capabilities: Capability[]
  theme: PortalTheme
  expiresAt: number
  createdAt: number
}

export interface EventType {
  name: string
  description: string
  schema: JsonObject | null
  example: JsonObject | null
  createdAt: number
  updatedAt: number
}

export interface RetrySettings {
  enabled: boolean
  /** 0-5, or up to the schedule's length when `schedule` is set. Default 3. */
  maxRetries: number
  /** Delays in seconds that replace the doubling 1/2/4/8/16 s schedule. Default none. */
  schedule: number[] | null
}

export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'GET'

/** `fifo`: one attempt at a time, in publish order (API.md, Endpoints). Default `none`. */
export type EndpointOrdering = 'none' | 'fifo'

/** A credential at rest: sealed with the secret box, beside the masked hint the API shows instead. */
export interface SealedCredential {
  sealed: string
  hint: string
}

/**
 * A custom header's value at rest: sealed (with its masked hint) when the header's name reads as a
 * credential (core/credential-name.ts; API.md, Endpoints), in the clear otherwise. An endpoint
 * saved before credential headers were sealed may still hold such a value in the clear.
 */
export type HeaderValue = string | SealedCredential

/** How requests authenticate to the endpoint. Credentials are sealed at rest (C = SealedCredential). */
export type EndpointAuth<C = SealedCredential> =
  | { type: 'none' }
  | { type: 'bearer'; token: C }
  | { type: 'basic'; username: string; password: C }
  | { type: 'header'; name: string; value: C }

/** What the body looks like (API.md, Endpoints: payload). */
export interface PayloadSettings {
  /** `json` (application/json) or `text` (text/plain). Default json. */
  format: 'json' | 'text'
  /** A Liquid template for the body; null sends the default envelope. Default null. */
  template: string | null
  /** Static fields merged into a JSON body, over what is there. Default {}. */
  extraFields: JsonObject
  /** Keep `request.body` in the event data. Default true. */
  includeRequestBody: boolean
  /** Keep `response.body`. Default true. */
  includeResponseBody: boolean
  /** Keep `request.headers` and `response.headers`. Default false. */
  includeHeaders: boolean
  /** Keep `response.status`. Default true. */
  includeStatusCode: boolean
}

export interface Endpoint {
  id: string
  tenantId: string
  name: string
  description: string
  /** May be a Liquid template over `tenant.metadata` and `endpoint.metadata`. */
  url: string
  method: HttpMethod
  auth: EndpointAuth
  /** Sent on every request; values may be Liquid like the URL. Credential-named ones are sealed. */
  headers: Record<string, HeaderValue>
  /** Added to the URL's query, replacing parameters of the same name. */
  queryParams: Record<string, string>
  payload: PayloadSettings
  enabled: boolean
  disabledReason: string | null
  eventTypes: string[]
  channels: string[]
  retry: RetrySettings
  timeoutSeconds: number
  rateLimitPerSecond: number | null
  ordering: EndpointOrdering
  metadata: JsonObject
  /** Set when a delivery to this endpoint ended failed and no success has come since. */
  failingSince: number | null
  /** Set while the endpoint stands announced as degraded (endpoint.degraded, until endpoint.recovered). */
  degradedSince: number | null
  createdAt: number
  updatedAt: number
}

export interface StoredEvent {
  id: string
  tenantId: string
  type: string
  /** The payload as the JSON text it arrived as, so it is stored and sent without re-serializing. */
  payloadJson: string
  channels: string[]
  idempotencyKey: string | null
  occurredAt: number
  createdAt: number
  deliveryCount: number
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'
export type AttemptTrigger = 'scheduled' | 'manual' | 'test'
export type ErrorKind = 'timeout' | 'network' | 'tls' | 'blocked' | 'http' | 'template'

export interface Delivery {
  id: string
  tenantId: string
  eventId: string
  endpointId: string
  status: DeliveryStatus
  attemptCount: number
  /** When the next attempt is due (pending only); while a worker holds it, the end of its lease. */
  nextAttemptAt: number | null
  /** The end of the lease while a worker holds it (pending and claimed: its attempt in flight), else null. */
  leasedUntil: number | null
  /** Its event's type, where the read joined the event (lists); absent otherwise. */
  eventType?: string
  createdAt: number
  updatedAt: number
}

export interface AttemptRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

export interface AttemptResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export interface Attempt {
  id: string
  deliveryId: string
  endpointId: string
  tenantId: string
  attemptNumber: number
  trigger: AttemptTrigger
  startedAt: number
  durationMs: number
  request: AttemptRequest
  response: AttemptResponse | null
  error: { kind: ErrorKind; message: string } | null
  success: boolean
}

/** How a source authenticates what it receives (API.md, Inbound sources). */
export type VerificationType = 'none' | 'hmac' | 'standard-webhooks' | 'stripe' | 'github' | 'shopify' | 'slack'

export interface SourceVerification {
  type: VerificationType
  /** hmac only: the signature header. Default X-Hookrelay-Signature. */
  header: string | null
  /** hmac only. Default hex. */
  encoding: 'hex' | 'base64' | null
  /** hmac only: text before the signature (`sha256=`). Default none. */
  prefix: string | null
  /** Clock difference allowed either way by the schemes that sign a timestamp. Default 300. */
  toleranceSeconds: number
}

/** A gateway route (API.md, Gateway routes): `/gw/{tenantId}/{name}/...` is proxied to `upstreamUrl`. */
export interface Route {
  id: string
  tenantId: string
  /** Unique within the tenant; the path segment after the tenant, and the channel of its events. */
  name: string
  upstreamUrl: string
  timeoutSeconds: number
  createdAt: number
  updatedAt: number
}

export interface Source {
  id: string
  tenantId: string
  name: string
  enabled: boolean
  verification: SourceVerification
  /** The masked hint of the current secret; null for verification `none`. */
  secretHint: string | null
  /** Where the event type is: a dot path into the body or `$headers.<name>`. Default `event_type`. */
  eventTypePath: string
  /** Where the event time is; it becomes the published event's occurredAt. Default none. */
  timestampPath: string | null
  idempotency: { keyPath: string; windowSeconds: number } | null
  mappings: Mapping[]
  createdAt: number
  updatedAt: number
}

export type SourceRequestStatus = 'accepted' | 'duplicate' | 'verification_failed' | 'invalid'

export interface SourceAction {
  action: 'publish'
  status: 'succeeded' | 'skipped' | 'failed'
  error: string | null
  eventId: string | null
}

/** One request a source received, as its log keeps it (secrets in headers redacted). */
export interface SourceRequest {
  id: string
  sourceId: string
  receivedAt: number
  status: SourceRequestStatus
  eventType: string | null
  idempotencyKey: string | null
  /** Why it was refused (verification_failed, invalid). */
  error: string | null
  actions: SourceAction[]
  request: { method: string; path: string; headers: Record<string, string>; body: string }
}
