/**
 * Table shapes for Kysely, shared by both dialects. Times are epoch milliseconds, booleans 0/1
 * and JSON columns TEXT; each dialect's rows.ts converts what its driver returns.
 */
export interface Database {
  settings: { key: string; value: string }
  tenants: { id: string; name: string; metadata: string; allowed_networks: string | null; created_at: number; updated_at: number }
  api_keys: { id: string; tenant_id: string; name: string; key_hash: string; created_at: number }
  event_types: {
    name: string
    description: string
    schema: string | null
    example: string | null
    created_at: number
    updated_at: number
  }
  endpoints: EndpointRow
  events: EventRow
  idempotency_keys: { tenant_id: string; key: string; event_id: string; created_at: number }
  deliveries: DeliveryRow
  attempts: AttemptRow
  sources: SourceRow
  source_requests: SourceRequestRow
  source_idempotency: { source_id: string; key: string; expires_at: number }
  routes: RouteRow
  portal_sessions: PortalSessionRow
}

export interface PortalSessionRow {
  id: string
  tenant_id: string
  token_hash: string
  /** JSON: Capability[] */
  capabilities: string
  /** JSON: PortalTheme */
  theme: string
  expires_at: number
  created_at: number
}

export interface RouteRow {
  id: string
  tenant_id: string
  name: string
  upstream_url: string
  timeout_seconds: number
  created_at: number
  updated_at: number
}

export interface SourceRow {
  id: string
  tenant_id: string
  name: string
  enabled: number
  verification: string
  secret_sealed: string | null
  secret_hint: string | null
  /** JSON: PreviousSecret[], newest first (see store/rows.ts for the two columns after it). */
  previous_secrets: string
  previous_secret_sealed: string | null
  previous_expires_at: number | null
  event_type_path: string
  timestamp_path: string | null
  idempotency: string | null
  mappings: string
  created_at: number
  updated_at: number
}

export interface SourceRequestRow {
  seq: number
  id: string
  source_id: string
  received_at: number
  status: string
  event_type: string | null
  idempotency_key: string | null
  error: string | null
  actions: string
  method: string
  path: string
  headers: string
  /** The bytes received (a BLOB). */
  body: Buffer
}

export interface EndpointRow {
  id: string
  tenant_id: string
  name: string
  description: string
  url: string
  method: string
  /** JSON: EndpointAuth with sealed credentials. */
  auth: string
  /** JSON: the custom headers in the clear, name -> value (store/rows.ts). */
  headers: string
  /** JSON: credential-named custom headers, name -> {sealed, hint} (migration 0012 on SQLite, 0011 on PostgreSQL). */
  sealed_headers: string
  query_params: string
  /** JSON: PayloadSettings; fields left out take their defaults. */
  payload: string
  enabled: number
  disabled_reason: string | null
  event_types: string
  channels: string
  retry: string
  timeout_seconds: number
  rate_limit_per_second: number | null
  /** 'none' or 'fifo'. */
  ordering: string
  metadata: string
  secret_sealed: string
  /** JSON: PreviousSecret[], newest first (see store/rows.ts for the two columns after it). */
  previous_secrets: string
  previous_secret_sealed: string | null
  previous_expires_at: number | null
  failing_since: number | null
  degraded_since: number | null
  created_at: number
  updated_at: number
}

export interface EventRow {
  id: string
  tenant_id: string
  type: string
  payload: string
  channels: string
  idempotency_key: string | null
  occurred_at: number
  created_at: number
  delivery_count: number
}

export interface DeliveryRow {
  id: string
  tenant_id: string
  event_id: string
  endpoint_id: string
  status: string
  attempt_count: number
  next_attempt_at: number | null
  lease_owner: string | null
  pending_trigger: string
  one_shot: number
  /** 1: published to a fifo endpoint; held (next_attempt_at NULL) until it is the endpoint's head. */
  ordered: number
  created_at: number
  updated_at: number
}

export interface AttemptRow {
  id: string
  delivery_id: string
  endpoint_id: string
  tenant_id: string
  attempt_number: number
  trigger: string
  started_at: number
  duration_ms: number
  request_method: string
  request_url: string
  request_headers: string
  request_body: string | null
  response_status: number | null
  response_headers: string | null
  response_body: string | null
  error_kind: string | null
  error_message: string | null
  success: number
}
