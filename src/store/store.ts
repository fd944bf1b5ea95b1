import type {
  ApiKey,
  Attempt,
  AttemptTrigger,
  Delivery,
  DeliveryStatus,
  Endpoint,
  EventType,
  JsonObject,
  PortalSession,
  Route,
  Source,
  SourceRequest,
  StoredEvent,
  NewTenant,
  Tenant,
} from '../core/model.js'
import type { SeriesRow, SeriesWindow } from '../core/stats-series.js'

/**
 * The storage contract. Nothing outside store/<dialect>/ knows which database it talks to; the
 * contract suite in test/contract runs against every dialect. Lists page by id (ids sort in
 * creation order), newest first unless said otherwise.
 */
export interface Store
  extends SettingsStore, TenantStore, PortalSessionStore, EventTypeStore, EndpointStore, EventStore, DeliveryQueue, DeliveryLog, SourceStore, RouteStore {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Calls `listener` when another process may have made deliveries due (PostgreSQL: LISTEN/NOTIFY).
   * Absent where one process is all there is (SQLite). Resolves, once listening, to a stop function.
   */
  onDueWork?(listener: () => void): Promise<() => Promise<void>>
  /**
   * Per-endpoint limits that every worker on the database shares (PostgreSQL). Absent where one
   * process is all there is (SQLite): its dispatcher keeps the limits in memory.
   */
  readonly sharedLimits?: SharedLimitStore
  /**
   * Carries attempt notices between the processes on the database (PostgreSQL: NOTIFY on
   * `hookrelay_attempts`), for live streams. Absent where one process is all there is (SQLite).
   */
  readonly attemptNotices?: NoticeChannel
  close(): Promise<void>
}

/**
 * The shared side of per-endpoint limits. Concurrency is divided into slots: each worker holds a
 * row per endpoint it is sending to (how many slots it holds, how many it wants), with an expiry it
 * renews, so a worker that dies gives its slots back when the row expires. Rates are one token
 * bucket per endpoint that all workers draw from. Times are the database's clock, so workers'
 * clocks need not agree.
 */
export interface SharedLimitStore {
  /**
   * Asks for this owner's fair share of an endpoint's `limit` among every owner that wants some
   * (fair-share.ts). Grants the share, or less while others still hold more than theirs; records
   * `want`, so those give slots back when they next renew. The row holds at least `running` (the
   * attempts under way) until lowered with setSlots. Returns the slots granted and the share.
   */
  shareSlots(args: {
    owner: string
    endpointId: string
    limit: number
    want: number
    running: number
    ttlMs: number
  }): Promise<{ granted: number; share: number }>
  /** Lowers this owner's slots for an endpoint once its attempts fit (a share given back). */
  setSlots(owner: string, endpointId: string, slots: number, ttlMs: number): Promise<void>
  /**
   * Extends the expiry of this owner's unexpired slot rows for these endpoints (the ones it still
   * tracks; others are left to expire). Returns each renewed endpoint, and
   * whether another owner wants more slots there than it holds. An endpoint missing from the
   * answer has lost its row (it expired): its slots are no longer this owner's.
   */
  renewSlots(owner: string, endpointIds: readonly string[], ttlMs: number): Promise<Array<{ endpointId: string; contended: boolean }>>
  releaseSlots(owner: string, endpointIds: readonly string[] | null): Promise<void>
  /**
   * Takes up to `want` tokens from the endpoint's bucket (at most `rate` tokens, refilled at `rate`
   * per second). Returns those granted and the tokens left, so a caller granted none knows how
   * long to wait for the next.
   */
  takeTokens(endpointId: string, rate: number, want: number): Promise<{ granted: number; tokens: number }>
}

/**
 * How notices travel between the processes on a shared database (PostgreSQL: NOTIFY on one
 * channel); each payload is text under 8000 bytes.
 */
export interface NoticeChannel {
  send(payloads: string[]): Promise<void>
  /** Resolves, once listening, to a stop function. */
  listen(onPayload: (payload: string) => void): Promise<() => Promise<void>>
}

export interface Page {
  limit: number
  /** Exclusive: the last id of the previous page. */
  after: string | null
}

export interface SettingsStore {
  getSetting(key: string): Promise<string | null>
  /** Stores the value only if the key has none yet; returns the value now stored. */
  initSetting(key: string, value: string): Promise<string>
  /** Stores the value, replacing any. */
  setSetting(key: string, value: string): Promise<void>
  /** Deletes the key if it still holds `value`; true when it did. */
  deleteSetting(key: string, value: string): Promise<boolean>
}

export interface TenantPatch {
  name?: string
  metadata?: JsonObject
  allowedNetworks?: string[] | null
}

export interface TenantStore {
  /** False when the id is taken. */
  createTenant(tenant: NewTenant): Promise<boolean>
  getTenant(id: string): Promise<Tenant | null>
  listTenants(page: Page): Promise<Tenant[]>
  /** Fields left undefined keep their value; allowedNetworks null goes back to the server's list. */
  updateTenant(id: string, patch: TenantPatch, now: number): Promise<Tenant | null>
  /** Deletes the tenant and everything it owns. */
  deleteTenant(id: string): Promise<boolean>
  createApiKey(key: ApiKey, keyHash: string): Promise<void>
  findApiKey(keyHash: string): Promise<ApiKey | null>
  listApiKeys(tenantId: string, page: Page): Promise<ApiKey[]>
  deleteApiKey(tenantId: string, id: string): Promise<boolean>
}

export interface PortalSessionStore {
  createPortalSession(session: PortalSession, tokenHash: string): Promise<void>
  /** The session a token hash names, expired or not (the caller judges expiry); null once revoked. */
  findPortalSession(tokenHash: string): Promise<PortalSession | null>
  /** The tenant's sessions not expired at `now`, newest first. */
  listPortalSessions(tenantId: string, now: number, page: Page): Promise<PortalSession[]>
  /** Revokes: the row goes, so the token stops working on every node at its next request. */
  deletePortalSession(tenantId: string, id: string): Promise<boolean>
  /** Deletes sessions that expired before `before`; returns how many. */
  prunePortalSessions(before: number): Promise<number>
}

export interface EventTypeStore {
  createEventType(type: EventType): Promise<boolean>
  getEventType(name: string): Promise<EventType | null>
  /** Ordered by name. */
  listEventTypes(page: Page): Promise<EventType[]>
  updateEventType(name: string, patch: Partial<Pick<EventType, 'description' | 'schema' | 'example'>>, now: number): Promise<EventType | null>
  deleteEventType(name: string): Promise<boolean>
}

/** Signing secrets as stored: sealed with the server's key (see core/secret-box). */
export interface SealedSecrets {
  current: string
  /**
   * Secrets rotated out, newest first, each counting until its own `expiresAt` (epoch ms). Expired
   * ones may linger until the next rotation; services/secret-keys.ts decides what counts and bounds the list.
   */
  previous: PreviousSecret[]
}

export interface PreviousSecret {
  sealed: string
  expiresAt: number
}

export type EndpointPatch = Partial<
  Pick<
    Endpoint,
    | 'name'
    | 'description'
    | 'url'
    | 'method'
    | 'auth'
    | 'headers'
    | 'queryParams'
    | 'payload'
    | 'enabled'
    | 'disabledReason'
    | 'eventTypes'
    | 'channels'
    | 'retry'
    | 'timeoutSeconds'
    | 'rateLimitPerSecond'
    | 'metadata'
    | 'ordering'
    | 'failingSince'
    | 'degradedSince'
  >
>

export interface EndpointStore {
  /**
   * Marks the endpoint degraded since `since`, only if it is not (degraded_since IS NULL), or with
   * `since` null clears the mark, only if set: true when this call changed it, so of several nodes
   * judging at once exactly one announces the change. updated_at is left alone (not a user's edit).
   */
  setEndpointDegraded(endpointId: string, since: number | null): Promise<boolean>
  /**
   * Attempts per endpoint, of the given endpoints, that started at or after `since`, and how many
   * of them succeeded; test sends are not counted. Endpoints without attempts are left out.
   */
  attemptCountsSince(endpointIds: string[], since: number): Promise<Array<{ endpointId: string; attempts: number; succeeded: number }>>
  createEndpoint(endpoint: Endpoint, secrets: SealedSecrets): Promise<void>
  /** With tenantId null the endpoint is looked up by id alone (the dispatcher's view). */
  getEndpoint(tenantId: string | null, id: string): Promise<Endpoint | null>
  listEndpoints(tenantId: string, page: Page): Promise<Endpoint[]>
  /** Every enabled endpoint of a tenant: the candidates of a publish's fan-out. */
  listEnabledEndpoints(tenantId: string): Promise<Endpoint[]>
  updateEndpoint(tenantId: string | null, id: string, patch: EndpointPatch, now: number): Promise<Endpoint | null>
  deleteEndpoint(tenantId: string, id: string): Promise<boolean>
  getSecrets(endpointId: string): Promise<SealedSecrets | null>
  /**
   * Writes the endpoint's secrets. With `ifCurrent` (a sealed current secret as read), only while
   * the current one is still that: a rotation made from what it read does not overwrite another
   * made meanwhile. False when nothing was written.
   */
  setSecrets(endpointId: string, secrets: SealedSecrets, now: number, ifCurrent?: string): Promise<boolean>
}

/** One publish inside a group commit. */
export interface PublishItem {
  event: StoredEvent
  /**
   * One per matching endpoint. A delivery leased to this node's dispatcher (the in-memory hand-off)
   * has `leaseOwner` set and `nextAttemptAt` at the lease's end; an unleased one is due at `nextAttemptAt`.
   */
  deliveries: Array<{
    id: string
    endpointId: string
    leaseOwner: string | null
    nextAttemptAt: number
    /**
     * Published to a fifo endpoint: written held (no next_attempt_at, never leased) and promoted
     * in the same transaction if nothing of the endpoint is scheduled. Default false.
     */
    ordered?: boolean
  }>
}

export type PublishOutcome =
  | { kind: 'created'; event: StoredEvent; deliveryIds: string[] }
  | { kind: 'duplicate'; event: StoredEvent }
  | { kind: 'error'; error: Error }

export interface EventStore {
  /**
   * Deletes up to `limit` events created before `before` whose deliveries are all final (none
   * pending) and none changed since `before`, with their deliveries and attempts (ON DELETE
   * CASCADE), in one short statement. Returns how many events went. An event with no delivery at all
   * goes too.
   */
  pruneFinalEvents(before: number, limit: number): Promise<number>
  /**
   * Commits many publishes in ONE transaction (group commit). Each item succeeds or fails on its
   * own; an idempotency key seen within `idempotencyWindowMs` yields the original event.
   */
  publishBatch(items: PublishItem[], now: number, idempotencyWindowMs: number): Promise<PublishOutcome[]>
  getEvent(tenantId: string, id: string): Promise<StoredEvent | null>
  listEvents(tenantId: string, filter: { type?: string }, page: Page): Promise<StoredEvent[]>
  /**
   * Deletes idempotency keys recorded before `before` (their window is over), oldest first, about
   * `limit` at a time (keys recorded in the same millisecond go together); returns how many went.
   */
  pruneIdempotencyKeys(before: number, limit: number): Promise<number>
}

/** What the dispatcher needs to make an attempt; claims and the in-memory hand-off both yield it. */
export interface DueDelivery {
  id: string
  tenantId: string
  endpointId: string
  eventId: string
  eventType: string
  payloadJson: string
  occurredAt: number
  attemptCount: number
  trigger: AttemptTrigger
  /** One attempt only, then finished (a manual retry of a finished delivery). */
  oneShot: boolean
  /** Published to a fifo endpoint: its final settlement promotes the endpoint's next delivery. Default false. */
  ordered?: boolean
}

/** A delivery handed over in memory with the end of the lease its publish wrote (epoch ms). */
export type LeasedDelivery = DueDelivery & { leaseEnd: number }

export type Settlement = {
  deliveryId: string
  leaseOwner: string
  /** The attempt count the claim saw; a settle for an older claim changes nothing. */
  claimedAttemptCount: number
  /**
   * The trigger the claim saw. A manual retry requested while the attempt was under way changes
   * it, and then this settle changes nothing, so the manual attempt still happens.
   */
  claimedTrigger: AttemptTrigger
  /** Null when the delivery ends without an attempt (its endpoint was disabled). */
  attempt: Attempt | null
  /** The attempt's body is the event's default envelope (rebuilt from the event on read, not stored twice). */
  envelopeBody: boolean
  /** The claim's `ordered`: a final status promotes the endpoint's next held delivery, in the same transaction. Default false. */
  ordered?: boolean
} & ({ status: 'pending'; nextAttemptAt: number } | { status: 'succeeded' | 'failed' })

export interface DeliveryQueue {
  /** Leases up to `limit` due deliveries (next_attempt_at <= now) to `owner` until now + leaseMs. */
  claimDue(args: {
    owner: string
    now: number
    limit: number
    leaseMs: number
    /** Endpoints whose queue in memory is full: their due deliveries stay in the database. */
    excludeEndpoints?: readonly string[]
  }): Promise<DueDelivery[]>
  /** Records the attempts and next states in one transaction; per item false if the lease was lost. */
  settle(items: Settlement[]): Promise<boolean[]>
  /**
   * Extends the owner's leases on these deliveries to end at `until` (never earlier than they
   * did); returns the ids renewed. Only pending deliveries still leased to `owner` are: one claimed
   * by another node since its lease ended, settled, or released comes back missing, and is no
   * longer the owner's to send.
   */
  renewLeases(owner: string, ids: readonly string[], until: number): Promise<string[]>
  /** Makes the owner's leased deliveries due at `now` (graceful shutdown, or a restart of a single node). */
  releaseLeases(owner: string | null, ids: string[] | null, now: number): Promise<number>
  /** The earliest next_attempt_at of any pending delivery, or null. */
  nextDueAt(): Promise<number | null>
  pendingCount(): Promise<number>
  /** Puts one delivery back as due now for a manual attempt. False if unknown. */
  requeueManual(tenantId: string, deliveryId: string, now: number): Promise<boolean>
  /** How many deliveries recoverFailed would re-queue now (a dry run). */
  countFailed(tenantId: string, endpointId: string, since: number): Promise<number>
  /** Re-queues an endpoint's failed deliveries created since `since`; returns how many. */
  recoverFailed(tenantId: string, endpointId: string, since: number, now: number): Promise<number>
  /** A delivery made and finished outside the queue (an endpoint test). */
  recordTestDelivery(delivery: Delivery, event: StoredEvent, attempt: Attempt): Promise<void>
  /**
   * Fifo ordering's repair: for each endpoint (null: every endpoint with held deliveries) that has
   * held ordered deliveries and none scheduled, makes the oldest held one due at `now`. Publishes,
   * settlements, manual retries and recoveries promote in their own transactions; this catches what
   * a race with a concurrent change (an endpoint disabled, say) left held. Returns how many.
   */
  promoteOrdered(endpointIds: readonly string[] | null, now: number): Promise<number>
  /** The endpoint is no longer fifo: its held deliveries become ordinary ones, due at `now`. Returns how many. */
  releaseOrdered(endpointId: string, now: number): Promise<number>
}

export interface EndpointStats {
  total: number
  succeeded: number
  failed: number
  pending: number
  avgResponseMs: number | null
  p95ResponseMs: number | null
  lastAttemptAt: number | null
  lastStatusCode: number | null
}

export interface DeliveryFilter {
  endpointId?: string
  eventId?: string
  /** The event's type, exactly. */
  eventType?: string
  status?: DeliveryStatus
  /** created_at >= since (epoch ms). */
  since?: number
  /** created_at < until (epoch ms). */
  until?: number
}

export interface DeliveryLog {
  getDelivery(tenantId: string, id: string): Promise<Delivery | null>
  /** Newest first, each with its event's `eventType`. */
  listDeliveries(tenantId: string, filter: DeliveryFilter, page: Page): Promise<Delivery[]>
  listAttempts(deliveryId: string): Promise<Attempt[]>
  endpointStats(endpointId: string, since: number): Promise<EndpointStats>
  /**
   * The attempts that started in [window.from, window.to), counted per bucket of window.bucketMs
   * (start = floor(started_at / bucketMs) * bucketMs), of one endpoint or of every endpoint of a
   * tenant. Only buckets with attempts, in order; core/stats-series.ts fills in the others.
   */
  attemptSeries(scope: SeriesScope, window: Pick<SeriesWindow, 'from' | 'to' | 'bucketMs'>): Promise<SeriesRow[]>
}

/** Whose attempts a series counts: one endpoint's, or (endpointId absent) the tenant's. */
export interface SeriesScope {
  tenantId: string
  endpointId?: string
}

export type SourcePatch = Partial<
  Pick<Source, 'name' | 'enabled' | 'verification' | 'secretHint' | 'eventTypePath' | 'timestampPath' | 'idempotency' | 'mappings'>
>

/**
 * A received request to log and, when it carried one, the idempotency key it claims until
 * `expiresAt`. The body goes in as the bytes received: no decoding on the way in.
 */
export interface SourceRequestWrite {
  log: Omit<SourceRequest, 'request'> & { request: Omit<SourceRequest['request'], 'body'> & { body: Buffer } }
  claim: { key: string; expiresAt: number } | null
}

export interface SourceStore {
  /** `secrets` null for verification `none`. */
  createSource(source: Source, secrets: SealedSecrets | null): Promise<void>
  /** With tenantId null the source is looked up by id alone (the ingest route's view). */
  getSource(tenantId: string | null, id: string): Promise<Source | null>
  listSources(tenantId: string, page: Page): Promise<Source[]>
  updateSource(tenantId: string, id: string, patch: SourcePatch, now: number): Promise<Source | null>
  deleteSource(tenantId: string, id: string): Promise<boolean>
  getSourceSecrets(id: string): Promise<SealedSecrets | null>
  /** As setSecrets, for a source (null: no secret). */
  setSourceSecrets(id: string, secrets: SealedSecrets | null, hint: string | null, now: number, ifCurrent?: string): Promise<boolean>
  /**
   * Logs received requests and records their idempotency keys, in one transaction. Should a row
   * fail, the others are written all the same and the failure is then thrown (one error for all).
   * Keys come bounded (core/idempotency-key.ts).
   */
  recordSourceRequests(items: SourceRequestWrite[]): Promise<void>
  /** Whether a key was claimed for this source and its window has not ended at `now`. */
  hasIdempotencyClaim(sourceId: string, key: string, now: number): Promise<boolean>
  /** Newest first. */
  listSourceRequests(sourceId: string, page: Page): Promise<SourceRequest[]>
  /** Deletes logged requests received before `before`, and idempotency keys expired by then. */
  pruneSourceRequests(before: number): Promise<number>
}

export type RoutePatch = Partial<Pick<Route, 'name' | 'upstreamUrl' | 'timeoutSeconds'>>

/** Gateway routes: the same Kysely code on both dialects (kysely-routes.ts). */
export interface RouteStore {
  /** False when the tenant already has a route of that name. */
  createRoute(route: Route): Promise<boolean>
  getRoute(tenantId: string, id: string): Promise<Route | null>
  /** The proxy's lookup. */
  getRouteByName(tenantId: string, name: string): Promise<Route | null>
  listRoutes(tenantId: string, page: Page): Promise<Route[]>
  /** Null when there is no such route; `{nameTaken: true}` when a rename collides with another route. */
  updateRoute(tenantId: string, id: string, patch: RoutePatch, now: number): Promise<Route | { nameTaken: true } | null>
  deleteRoute(tenantId: string, id: string): Promise<boolean>
}
