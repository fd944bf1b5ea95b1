import type { Attempt, AttemptTrigger, Delivery, DeliveryStatus, Endpoint, ErrorKind, StoredEvent } from '../core/model.js'
import type { AttemptRow, DeliveryRow, EndpointRow, EventRow } from './schema.js'

// Row <-> record conversions shared by the dialects once their driver has produced plain numbers.

/** JSON columns hold what this code wrote, so their shape is known. */
export const parseJson = <T>(text: string): T => JSON.parse(text) as T

export const endpointFromRow = (r: EndpointRow): Endpoint => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  description: r.description,
  url: r.url,
  enabled: !!r.enabled,
  disabledReason: r.disabled_reason,
  eventTypes: parseJson(r.event_types),
  channels: parseJson(r.channels),
  retry: parseJson(r.retry),
  timeoutSeconds: r.timeout_seconds,
  rateLimitPerSecond: r.rate_limit_per_second,
  metadata: parseJson(r.metadata),
  failingSince: r.failing_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
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

export const deliveryFromRow = (r: DeliveryRow): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  eventId: r.event_id,
  endpointId: r.endpoint_id,
  status: r.status as DeliveryStatus,
  attemptCount: r.attempt_count,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export const attemptFromRow = (r: AttemptRow): Attempt => ({
  id: r.id,
  deliveryId: r.delivery_id,
  endpointId: r.endpoint_id,
  tenantId: r.tenant_id,
  attemptNumber: r.attempt_number,
  trigger: r.trigger as AttemptTrigger,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  request: parseJson(r.request),
  response: r.response === null ? null : parseJson(r.response),
  error: r.error_kind === null ? null : { kind: r.error_kind as ErrorKind, message: r.error_message ?? '' },
  success: !!r.success,
})

export const attemptToRow = (a: Attempt): AttemptRow => ({
  id: a.id,
  delivery_id: a.deliveryId,
  endpoint_id: a.endpointId,
  tenant_id: a.tenantId,
  attempt_number: a.attemptNumber,
  trigger: a.trigger,
  started_at: a.startedAt,
  duration_ms: a.durationMs,
  request: JSON.stringify(a.request),
  response_status: a.response?.status ?? null,
  response: a.response === null ? null : JSON.stringify(a.response),
  error_kind: a.error?.kind ?? null,
  error_message: a.error?.message ?? null,
  success: a.success ? 1 : 0,
})
