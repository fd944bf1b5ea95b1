// The API's shapes as the console reads them (API.md). Hand-written on purpose: the console uses
// only what it shows, and a field it does not know is simply passed through when it saves.

export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

export type Capability = 'endpoints.write' | 'secrets.read' | 'secrets.rotate' | 'deliveries.retry'
export const ALL_CAPABILITIES: Capability[] = ['endpoints.write', 'secrets.read', 'secrets.rotate', 'deliveries.retry']

export interface Theme {
  title: string | null
  primaryColor: string | null
  logoUrl: string | null
  mode: 'auto' | 'light' | 'dark'
}

export interface Whoami {
  kind: 'admin' | 'tenant' | 'portal'
  tenantId: string | null
  capabilities: Capability[]
  sessionId?: string
  expiresAt?: string
  theme?: Theme
}

export interface Tenant {
  id: string
  name: string
  metadata: Record<string, unknown>
  /** null: the server-wide HOOKRELAY_ALLOWED_NETWORKS; set by the admin token only. */
  allowedNetworks: string[] | null
  createdAt: string
  updatedAt: string
}

export interface ApiKey {
  id: string
  name: string
  key?: string
  createdAt: string
}

export interface PortalSession {
  id: string
  tenantId: string
  url?: string
  token?: string
  expiresAt: string
  capabilities: Capability[]
  theme: Theme
  createdAt: string
}

export interface EventType {
  name: string
  description: string
  schema: Record<string, unknown> | null
  example: Record<string, unknown> | null
  createdAt: string
  updatedAt: string
}

export type AuthConfig =
  | { type: 'none' }
  | { type: 'bearer'; token?: string }
  | { type: 'basic'; username?: string; password?: string }
  | { type: 'header'; name?: string; value?: string }

export interface Endpoint {
  id: string
  tenantId: string
  name: string
  description: string
  url: string
  method: 'POST' | 'PUT' | 'PATCH' | 'GET'
  enabled: boolean
  disabledReason: string | null
  eventTypes: string[]
  channels: string[]
  auth: AuthConfig
  headers: Record<string, string>
  queryParams: Record<string, string>
  payload: {
    format: 'json' | 'text'
    template: string | null
    extraFields: Record<string, unknown>
    includeRequestBody: boolean
    includeResponseBody: boolean
    includeHeaders: boolean
    includeStatusCode: boolean
  }
  retry: { enabled: boolean; maxRetries: number; schedule: number[] | null }
  timeoutSeconds: number
  rateLimitPerSecond: number | null
  ordering?: 'none' | 'fifo'
  metadata: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

export interface EndpointStats {
  total: number
  succeeded: number
  failed: number
  pending: number
  successRate: number | null
  avgResponseMs: number | null
  p95ResponseMs: number | null
  lastAttemptAt: string | null
  lastStatusCode: number | null
}

export interface SeriesPoint {
  start: string
  attempts: number
  succeeded: number
  failed: number
  avgResponseMs: number | null
  p95ResponseMs: number | null
}

export interface Series {
  bucket: string
  data: SeriesPoint[]
}

export interface StoredEvent {
  id: string
  type: string
  payload: Record<string, unknown>
  channels: string[]
  idempotencyKey: string | null
  occurredAt: string
  createdAt: string
  deliveryCount: number
  deliveries?: Delivery[]
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'

export interface Delivery {
  id: string
  eventId: string
  endpointId: string
  eventType?: string
  status: DeliveryStatus
  attemptCount: number
  nextAttemptAt: string | null
  inFlight?: boolean
  createdAt: string
  updatedAt: string
}

export interface Attempt {
  id: string
  attemptNumber: number
  trigger: 'scheduled' | 'manual' | 'test'
  startedAt: string
  durationMs: number
  request: { method: string; url: string; headers: Record<string, string>; body: string | null }
  response: { status: number; headers: Record<string, string>; body: string } | null
  error: { kind: string; message: string } | null
  success: boolean
}

export interface DeliveryDetail extends Delivery {
  attempts: Attempt[]
}

export interface AttemptNotice {
  deliveryId: string
  eventId: string
  endpointId: string
  attemptNumber: number
  success: boolean
  status: number | null
  durationMs: number
  startedAt: string
}

export interface PreviewRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

export type VerificationType = 'none' | 'hmac' | 'standard-webhooks' | 'stripe' | 'github' | 'shopify' | 'slack'

export interface Mapping {
  eventType: string
  action: 'publish'
  publishAs: string | null
  fields: Record<string, string> | null
  required: string[]
}

export interface Source {
  id: string
  tenantId: string
  name: string
  enabled: boolean
  ingestUrl: string
  verification: {
    type: VerificationType
    secret: string | null
    header: string | null
    encoding: string | null
    prefix: string | null
    toleranceSeconds: number
  }
  eventTypePath: string
  timestampPath: string | null
  idempotency: { keyPath: string; windowSeconds: number } | null
  mappings: Mapping[]
  createdAt: string
  updatedAt: string
}

export interface SourceLog {
  id: string
  receivedAt: string
  status: 'accepted' | 'duplicate' | 'verification_failed' | 'invalid'
  eventType: string | null
  idempotencyKey: string | null
  error: string | null
  actions: { action: string; status: 'succeeded' | 'skipped' | 'failed'; error: string | null; eventId: string | null }[]
  request?: { method: string; path: string; headers: Record<string, string>; body: string }
}

export interface GatewayRoute {
  id: string
  tenantId: string
  name: string
  upstreamUrl: string
  timeoutSeconds: number
  gatewayUrl: string
  createdAt: string
  updatedAt: string
}
