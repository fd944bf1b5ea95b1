import { idFloor } from '../core/ids.js'
import type { Attempt, AttemptTrigger, Delivery, DeliveryStatus, Endpoint, ErrorKind, HeaderValue, HttpMethod, PayloadSettings, SealedCredential, StoredEvent } from '../core/model.js'
import { cutUtf8 } from '../core/cut-utf8.js'
import { DEFAULT_PAYLOAD, defaultBody } from '../core/shaping/payload-body.js'
import type { AttemptRow, DeliveryRow, EndpointRow, EventRow } from './schema.js'
import type { PreviousSecret, SealedSecrets } from './store.js'

// Row <-> record conversions shared by the dialects once their driver has produced plain numbers.

/** JSON columns hold what this code wrote, so their shape is known. */
export const parseJson = <T>(text: string): T => JSON.parse(text) as T

export const endpointFromRow = (r: EndpointRow): Endpoint => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  description: r.description,
  url: r.url,
  method: r.method as HttpMethod,
  auth: parseJson(r.auth),
  headers: { ...parseJson<Record<string, string>>(r.headers), ...parseJson<Record<string, SealedCredential>>(r.sealed_headers) },
  queryParams: parseJson(r.query_params),
  payload: { ...DEFAULT_PAYLOAD, ...parseJson<Partial<PayloadSettings>>(r.payload) },
  enabled: !!r.enabled,
  disabledReason: r.disabled_reason,
  eventTypes: parseJson(r.event_types),
  channels: parseJson(r.channels),
  retry: parseJson(r.retry),
  timeoutSeconds: r.timeout_seconds,
  rateLimitPerSecond: r.rate_limit_per_second,
  ordering: r.ordering === 'fifo' ? 'fifo' : 'none',
  metadata: parseJson(r.metadata),
  failingSince: r.failing_since,
  degradedSince: r.degraded_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/**
 * Custom headers as stored: the sealed ones (credential names) apart from those in the clear, so a
 * node of the previous release, which reads `headers` as strings, keeps working (migrations only add).
 */
export function headerColumns(headers: Record<string, HeaderValue>): Pick<EndpointRow, 'headers' | 'sealed_headers'> {
  const clear: Record<string, string> = {}
  const sealed: Record<string, SealedCredential> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') clear[name] = value
    else sealed[name] = value
  }
  return { headers: JSON.stringify(clear), sealed_headers: JSON.stringify(sealed) }
}

/** The rotated-out secrets' columns, the same on endpoints and sources. */
export type PreviousSecretColumns = Pick<EndpointRow, 'previous_secrets' | 'previous_secret_sealed' | 'previous_expires_at'>

/** What sealedSecretsFromRow reads, on endpoints and on sources alike. */
export const SECRET_COLUMNS = ['secret_sealed', 'previous_secrets', 'previous_secret_sealed', 'previous_expires_at'] as const

/**
 * Secrets as stored. `previous_secrets` holds them all (migration 0005 on SQLite, 0004 on
 * PostgreSQL); the two single-secret columns before it stay for a node of the previous release
 * during a rolling upgrade (migrations only add, docs/operations.md): such a node rotates by writing
 * only those, so a secret there that the list lacks is the newest one rotated out.
 */
export function sealedSecretsFromRow(current: string, r: PreviousSecretColumns): SealedSecrets {
  const previous = parseJson<PreviousSecret[]>(r.previous_secrets)
  const legacy = r.previous_secret_sealed
  if (legacy !== null && r.previous_expires_at !== null && !previous.some((p) => p.sealed === legacy)) {
    previous.unshift({ sealed: legacy, expiresAt: r.previous_expires_at })
  }
  return { current, previous }
}

/** The list, and its newest entry in the single-secret columns, which a previous release reads. */
export const previousSecretColumns = (previous: readonly PreviousSecret[]): PreviousSecretColumns => ({
  previous_secrets: JSON.stringify(previous),
  previous_secret_sealed: previous[0]?.sealed ?? null,
  previous_expires_at: previous[0]?.expiresAt ?? null,
})

export const eventFromRow = (r: EventRow): StoredEvent => ({
  id: r.id,
  tenantId: r.tenant_id,
  type: r.type,
  payloadJson: r.payload,
  channels: parseJson(r.channels),
  idempotencyKey: r.idempotency_key,
  occurredAt: r.occurred_at,
  createdAt: r.created_at,
  deliveryCount: r.delivery_count,
})

export const eventToRow = (e: StoredEvent): EventRow => ({
  id: e.id,
  tenant_id: e.tenantId,
  type: e.type,
  payload: e.payloadJson,
  channels: JSON.stringify(e.channels),
  idempotency_key: e.idempotencyKey,
  occurred_at: e.occurredAt,
  created_at: e.createdAt,
  delivery_count: e.deliveryCount,
})

export const deliveryFromRow = (r: DeliveryRow & { event_type?: string }): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  status: r.status as DeliveryStatus,
  attemptCount: r.attempt_count,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  // A claim sets lease_owner and puts the lease's end in next_attempt_at; settling or releasing clears it.
  leasedUntil: r.status === 'pending' && r.lease_owner !== null ? r.next_attempt_at : null,
  ...(r.event_type !== undefined ? { eventType: r.event_type } : {}),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** An attempt row with the columns of its event needed to rebuild an envelope body. */
export type AttemptRowWithEvent = AttemptRow & { ev_id: string; ev_type: string; ev_payload: string; ev_occurred_at: number }

export const attemptFromRow = (r: AttemptRowWithEvent): Attempt => ({
  id: r.id,
  deliveryId: r.delivery_id,
  endpointId: r.endpoint_id,
  tenantId: r.tenant_id,
  attemptNumber: r.attempt_number,
  trigger: r.trigger as AttemptTrigger,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  request: {
    method: r.request_method,
    url: r.request_url,
    headers: parseJson(r.request_headers),
    // An envelope is rebuilt from the event, which may hold up to the payload limit: cut as stored bodies are.
    body: r.request_body ?? cutUtf8(defaultBody({ id: r.ev_id, type: r.ev_type, occurredAt: r.ev_occurred_at, payloadJson: r.ev_payload })),
  },
  response:
    r.response_status === null ? null : { status: r.response_status, headers: parseJson(r.response_headers ?? '{}'), body: r.response_body ?? '' },
  error: r.error_kind === null ? null : { kind: r.error_kind as ErrorKind, message: r.error_message ?? '' },
  success: !!r.success,
})

/** `envelope`: the request body is the event's default envelope, so it is not stored again. */
export const attemptToRow = (a: Attempt, envelope: boolean): AttemptRow => ({
  id: a.id,
  delivery_id: a.deliveryId,
  endpoint_id: a.endpointId,
  tenant_id: a.tenantId,
  attempt_number: a.attemptNumber,
  trigger: a.trigger,
  started_at: a.startedAt,
  duration_ms: a.durationMs,
  request_method: a.request.method,
  request_url: a.request.url,
  request_headers: JSON.stringify(a.request.headers),
  request_body: envelope ? null : a.request.body,
  response_status: a.response?.status ?? null,
  response_headers: a.response === null ? null : JSON.stringify(a.response.headers),
  response_body: a.response?.body ?? null,
  error_kind: a.error?.kind ?? null,
  error_message: a.error?.message ?? null,
  success: a.success ? 1 : 0,
})

/** The attempts table's columns in one fixed order, for positional binding (see attemptValues). */
export const ATTEMPT_COLUMNS = [
  'id',
  'delivery_id',
  'endpoint_id',
  'tenant_id',
  'attempt_number',
  'trigger',
  'started_at',
  'duration_ms',
  'request_method',
  'request_url',
  'request_headers',
  'request_body',
  'response_status',
  'response_headers',
  'response_body',
  'error_kind',
  'error_message',
  'success',
] as const satisfies ReadonlyArray<keyof AttemptRow>

/** An attempt row's values in ATTEMPT_COLUMNS order: binding by position costs less than by name. */
export const attemptValues = (row: AttemptRow): unknown[] => ATTEMPT_COLUMNS.map((c) => row[c])

/** The row of a delivery made and finished outside the queue (an endpoint test): never due, never leased. */
export const finishedDeliveryRow = (d: Delivery): DeliveryRow => ({
  id: d.id,
  tenant_id: d.tenantId,
  event_id: d.eventId,
  endpoint_id: d.endpointId,
  status: d.status,
  attempt_count: d.attemptCount,
  next_attempt_at: null,
  lease_owner: null,
  pending_trigger: 'scheduled',
  one_shot: 0,
  ordered: 0,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
})

/**
 * How long before its created_at a delivery's id may have been made: ids are made when a publish
 * is taken, created_at when its group commits, and a list filtered by `since` starts its scan of
 * the ids this far before (deliveryIdFloor).
 */
const ID_BEFORE_CREATED_MS = 5 * 60_000

/** The id a newest-first scan for deliveries created at or after `since` may stop at. */
export const deliveryIdFloor = (since: number): string => idFloor('dlv', since - ID_BEFORE_CREATED_MS)

/**
 * Retention's bound on event ids: an event created before `before` has an id below this one, since
 * a publish makes its event's id and created_at from the same clock reading (services/publisher.ts).
 * So the oldest-first scan walks the id index and stops here, and needs no index on created_at
 * (one B-tree less written per publish). An event whose id time is later than its created_at (the
 * clock stepped back) is not lost: a later pass, with a later cutoff, takes it.
 */
export const eventIdCeiling = (before: number): string => idFloor('evt', before)
