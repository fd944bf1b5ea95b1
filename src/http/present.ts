import type { ApiKey, Attempt, Delivery, Endpoint, EventType, Route, Source, SourceRequest, StoredEvent, Tenant } from '../core/model.js'
import { maskCredentialHeaders } from '../core/shaping/mask-header.js'
import { AppError } from '../errors.js'
import { presentAuth } from '../services/endpoint-auth.js'
import { presentHeaders } from '../services/endpoint-headers.js'

// Records as the API shows them: times as ISO 8601 strings in UTC, payloads as JSON.

/**
 * The last time formatted, and its text: a publish's answer formats its createdAt and occurredAt
 * (the same millisecond unless the sender gave occurredAt), and publishes under load share their
 * milliseconds, so most calls skip the Date and its formatting (about 1 us each).
 */
let lastMs = Number.NaN
let lastIso = ''
const iso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString()
    lastMs = ms
  }
  return lastIso
}
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms))

export const presentTenant = (t: Tenant) => ({ ...t, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) })

export const presentApiKey = (k: ApiKey, key?: string) => ({
  id: k.id,
  name: k.name,
  ...(key !== undefined ? { key } : {}),
  createdAt: iso(k.createdAt),
})

export const presentEventType = (t: EventType) => ({ ...t, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) })

export const presentEndpoint = (e: Endpoint) => ({
  id: e.id,
  tenantId: e.tenantId,
  name: e.name,
  description: e.description,
  url: e.url,
  method: e.method,
  auth: presentAuth(e.auth),
  headers: presentHeaders(e.headers),
  queryParams: e.queryParams,
  payload: e.payload,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  eventTypes: e.eventTypes,
  channels: e.channels,
  retry: e.retry,
  timeoutSeconds: e.timeoutSeconds,
  rateLimitPerSecond: e.rateLimitPerSecond,
  ordering: e.ordering,
  metadata: e.metadata,
  createdAt: iso(e.createdAt),
  updatedAt: iso(e.updatedAt),
})

export const presentEvent = (e: StoredEvent) => ({
  id: e.id,
  type: e.type,
  payload: JSON.parse(e.payloadJson) as Record<string, unknown>,
  channels: e.channels,
  idempotencyKey: e.idempotencyKey,
  occurredAt: iso(e.occurredAt),
  createdAt: iso(e.createdAt),
  deliveryCount: e.deliveryCount,
})

/**
 * The same as JSON.stringify(presentEvent(e)), built around the stored payload text: on the
 * publish path this saves parsing and re-serializing every payload.
 */
export const eventJson = (e: StoredEvent): string =>
  `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"payload":${e.payloadJson},"channels":${JSON.stringify(e.channels)},` +
  `"idempotencyKey":${JSON.stringify(e.idempotencyKey)},"occurredAt":"${iso(e.occurredAt)}","createdAt":"${iso(e.createdAt)}","deliveryCount":${e.deliveryCount}}`

/**
 * A delivery a worker holds (its lease not over at `now`) is in flight: its next attempt has no
 * time yet, so `nextAttemptAt` is null rather than the lease's end, which is minutes out. A lease
 * that ended (its worker died) is not in flight: the delivery is due again from the lease's end.
 */
export const presentDelivery = (d: Delivery, now: number) => {
  const inFlight = d.leasedUntil !== null && d.leasedUntil > now
  return {
    id: d.id,
    eventId: d.eventId,
    endpointId: d.endpointId,
    ...(d.eventType !== undefined ? { eventType: d.eventType } : {}),
    status: d.status,
    attemptCount: d.attemptCount,
    nextAttemptAt: inFlight ? null : isoOrNull(d.nextAttemptAt),
    inFlight,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  }
}

export const presentAttempt = (a: Attempt) => ({
  id: a.id,
  deliveryId: a.deliveryId,
  endpointId: a.endpointId,
  attemptNumber: a.attemptNumber,
  trigger: a.trigger,
  startedAt: iso(a.startedAt),
  durationMs: a.durationMs,
  // Masked again on the way out: attempts recorded before credential headers were masked hold them whole.
  request: { ...a.request, headers: maskCredentialHeaders(a.request.headers) },
  response: a.response,
  error: a.error,
  success: a.success,
})

/** `{data, nextCursor}`: the cursor is the last id of a full page. */
export function page<T extends { id: string } | { name: string }, U>(rows: T[], limit: number, present: (t: T) => U) {
  const last = rows.length === limit ? rows[rows.length - 1] : undefined
  const cursor = last === undefined ? null : 'id' in last ? last.id : last.name
  return { data: rows.map(present), nextCursor: cursor === null ? null : Buffer.from(cursor).toString('base64url') }
}

/** Ids, tenant ids and event type names: what a cursor may carry. */
const CURSOR_KEY = /^[A-Za-z0-9_.-]{1,128}$/

/** The key a `nextCursor` carries; anything a list did not hand out is a 422 `invalid_cursor`. */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === '') return null
  const key = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!CURSOR_KEY.test(key) || Buffer.from(key).toString('base64url') !== cursor) {
    throw new AppError('invalid_cursor', undefined, [{ path: '/query/cursor', message: 'is not a cursor this list returned' }])
  }
  return key
}

/** `baseUrl`: where this server is reached from outside (HOOKRELAY_PUBLIC_URL, or the request's host). */
export const presentSource = (s: Source, baseUrl: string) => ({
  id: s.id,
  tenantId: s.tenantId,
  name: s.name,
  enabled: s.enabled,
  ingestUrl: `${baseUrl}/in/${s.id}`,
  verification: { ...s.verification, secret: s.secretHint },
  eventTypePath: s.eventTypePath,
  timestampPath: s.timestampPath,
  idempotency: s.idempotency,
  mappings: s.mappings,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
})

/** The base of URLs the API shows (ingestUrl, gatewayUrl): HOOKRELAY_PUBLIC_URL, or the host this request came to. */
export const publicBase = (publicUrl: string | null, req: { protocol: string; host: string }): string => publicUrl ?? `${req.protocol}://${req.host}`

export const presentRoute = (r: Route, baseUrl: string) => ({
  id: r.id,
  tenantId: r.tenantId,
  name: r.name,
  upstreamUrl: r.upstreamUrl,
  timeoutSeconds: r.timeoutSeconds,
  gatewayUrl: `${baseUrl}/gw/${encodeURIComponent(r.tenantId)}/${encodeURIComponent(r.name)}`,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
})

export const presentRequest = (r: SourceRequest) => ({
  id: r.id,
  receivedAt: iso(r.receivedAt),
  status: r.status,
  eventType: r.eventType,
  idempotencyKey: r.idempotencyKey,
  error: r.error,
  actions: r.actions,
  request: r.request,
})
