import type BetterSqlite3 from 'better-sqlite3'
import type { AttemptTrigger, StoredEvent } from '../../core/model.js'
import { defaultBody } from '../../core/shaping/payload-body.js'
import { relaxedCommitFor } from './relaxed-commit.js'
import { ATTEMPT_COLUMNS, attemptFromRow, attemptToRow, attemptValues, deliveryFromRow, deliveryIdFloor, eventFromRow, finishedDeliveryRow, type AttemptRowWithEvent } from '../rows.js'
import type { AttemptRow, DeliveryRow, EventRow } from '../schema.js'
import type {
  DeliveryLog,
  DeliveryQueue,
  DueDelivery,
  EventStore,
  PublishItem,
  PublishOutcome,
  Settlement,
} from '../store.js'

type HotPath = DeliveryQueue & Omit<DeliveryLog, 'attemptSeries'> & Pick<EventStore, 'publishBatch'>

/**
 * The queue on SQLite: publish, claim and settle as prepared statements inside synchronous
 * transactions. One connection is one writer, so an UPDATE ... WHERE id IN (SELECT ... LIMIT n)
 * is already an atomic claim; PostgreSQL needs FOR UPDATE SKIP LOCKED for the same.
 */
export function createSqliteDeliveries(
  db: BetterSqlite3.Database,
  synchronous: 'NORMAL' | 'FULL',
  /** Flushes the WAL (see wal-sync.ts); null when commits need no flush (NORMAL, or in memory). */
  walSync: (() => Promise<void>) | null,
): HotPath {
  // The hot path commits with synchronous=NORMAL whatever the setting: in WAL mode that survives a
  // process crash. Publishes are then made power-safe by walSync before they are answered; claims
  // and settlements need not be: what power loss could undo there is a lease or an outcome, so a
  // delivery is sent again (at-least-once), never an accepted event lost. CRUD keeps the setting.
  const relaxedCommit = relaxedCommitFor(db, synchronous)

  const s = {
    findIdem: db.prepare<[string, string], { event_id: string; created_at: number }>(
      'SELECT event_id, created_at FROM idempotency_keys WHERE tenant_id = ? AND key = ?',
    ),
    putIdem: db.prepare(
      `INSERT INTO idempotency_keys (tenant_id, key, event_id, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, key) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at`,
    ),
    getEventById: db.prepare<[string], EventRow>('SELECT * FROM events WHERE id = ?'),
    // Positional, as insertAttempt below: no row object to build and no names to bind, once per event.
    insertEvent: db.prepare<[string, string, string, string, string, string | null, number, number, number]>(
      `INSERT INTO events (id, tenant_id, type, payload, channels, idempotency_key, occurred_at, created_at, delivery_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    setDeliveryCount: db.prepare('UPDATE events SET delivery_count = ? WHERE id = ?'),
    // A single-row INSERT ... VALUES, after endpointEnabled (see endpointTakes). Not the INSERT ...
    // SELECT FROM endpoints it replaced: SQLite opens a statement journal for an INSERT that may
    // write several rows (its docs on temporary files: the original of every page the statement
    // changes, to undo it alone), and with the table's five B-trees that cost about 30 us per
    // delivery against 5 us for this (bench/README.md, Throughput round 2).
    insertDelivery: db.prepare<[string, string, string, string, number | null, string | null, number, number, number]>(
      `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, next_attempt_at, lease_owner, ordered, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)`,
    ),
    endpointEnabled: db.prepare<[string], { enabled: number }>('SELECT enabled FROM endpoints WHERE id = ?'),
    // Fifo: the endpoint's oldest held delivery becomes due, unless one of its ordered deliveries is
    // scheduled (due, leased or waiting for a retry). Two seeks on deliveries_ordered.
    promote: db.prepare<[number, string, string], { id: string }>(
      `UPDATE deliveries SET next_attempt_at = ?
       WHERE id = (SELECT id FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND ordered = 1 AND next_attempt_at IS NULL ORDER BY id LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM deliveries WHERE endpoint_id = ? AND status = 'pending' AND ordered = 1 AND next_attempt_at IS NOT NULL)
       RETURNING id`,
    ),
    heldEndpoints: db.prepare<[], { endpoint_id: string }>(
      `SELECT DISTINCT endpoint_id FROM deliveries WHERE status = 'pending' AND ordered = 1 AND next_attempt_at IS NULL`,
    ),
    releaseOrdered: db.prepare(
      `UPDATE deliveries SET ordered = 0, next_attempt_at = coalesce(next_attempt_at, ?) WHERE endpoint_id = ? AND status = 'pending' AND ordered = 1`,
    ),
    claim: db.prepare<[string, number, number, number], Pick<DeliveryRow, 'id' | 'tenant_id' | 'endpoint_id' | 'event_id' | 'attempt_count' | 'pending_trigger' | 'one_shot' | 'ordered'>>(
      `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ?
       WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
       RETURNING id, tenant_id, endpoint_id, event_id, attempt_count, pending_trigger, one_shot, ordered`,
    ),
    claimExcluding: db.prepare<[string, number, number, string, number], Pick<DeliveryRow, 'id' | 'tenant_id' | 'endpoint_id' | 'event_id' | 'attempt_count' | 'pending_trigger' | 'one_shot' | 'ordered'>>(
      `UPDATE deliveries SET lease_owner = ?, next_attempt_at = ?
       WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?
         AND endpoint_id NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at LIMIT ?)
       RETURNING id, tenant_id, endpoint_id, event_id, attempt_count, pending_trigger, one_shot, ordered`,
    ),
    eventForSend: db.prepare<[string], Pick<EventRow, 'type' | 'payload' | 'occurred_at'>>(
      'SELECT type, payload, occurred_at FROM events WHERE id = ?',
    ),
    settle: db.prepare(
      `UPDATE deliveries SET status = ?, attempt_count = ?, next_attempt_at = ?, lease_owner = NULL,
         pending_trigger = 'scheduled', one_shot = 0, updated_at = ?
       WHERE id = ? AND lease_owner = ? AND attempt_count = ? AND pending_trigger = ?`,
    ),
    // Positional, the values in ATTEMPT_COLUMNS order and then the delivery id once more: binding
    // 18 values by name cost about 1.5 us more per attempt, on the hottest write there is.
    insertAttempt: db.prepare(
      `INSERT INTO attempts (${ATTEMPT_COLUMNS.join(', ')})
       SELECT ${ATTEMPT_COLUMNS.map(() => '?').join(', ')}
       WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?)`,
    ),
    // The same when the delivery is known to exist (its settle just changed it): no search for it.
    insertAttemptPlain: db.prepare(`INSERT INTO attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${ATTEMPT_COLUMNS.map(() => '?').join(', ')})`),
    insertDeliveryRow: db.prepare(
      `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, next_attempt_at, lease_owner,
         pending_trigger, one_shot, created_at, updated_at)
       VALUES (@id, @tenant_id, @event_id, @endpoint_id, @status, @attempt_count, @next_attempt_at, @lease_owner,
         @pending_trigger, @one_shot, @created_at, @updated_at)`,
    ),
    renewOne: db.prepare(
      `UPDATE deliveries SET next_attempt_at = max(next_attempt_at, ?) WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
    ),
    releaseAll: db.prepare(
      `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = ? WHERE status = 'pending' AND lease_owner IS NOT NULL`,
    ),
    releaseOwner: db.prepare(
      `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = ? WHERE status = 'pending' AND lease_owner = ?`,
    ),
    releaseOne: db.prepare(
      `UPDATE deliveries SET lease_owner = NULL, next_attempt_at = ? WHERE status = 'pending' AND lease_owner = ? AND id = ?`,
    ),
    nextDue: db.prepare<[], { t: number | null }>(`SELECT min(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'`),
    pendingCount: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending'`),
    // An ordered delivery that is not its endpoint's scheduled one (held, or finished) goes back
    // held: it takes its turn, by id, after the one under way. SET expressions read the old row.
    requeue: db.prepare<[number, number, string, string], { endpoint_id: string; ordered: number }>(
      `UPDATE deliveries SET one_shot = CASE WHEN status = 'pending' THEN 0 ELSE 1 END, status = 'pending',
         next_attempt_at = CASE WHEN ordered = 1 AND (status <> 'pending' OR next_attempt_at IS NULL) THEN NULL ELSE ? END,
         lease_owner = NULL, pending_trigger = 'manual', updated_at = ?
       WHERE tenant_id = ? AND id = ?
       RETURNING endpoint_id, ordered`,
    ),
    recover: db.prepare(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = CASE WHEN ordered = 1 THEN NULL ELSE ? END, lease_owner = NULL,
         pending_trigger = 'manual', one_shot = 1, updated_at = ?
       WHERE tenant_id = ? AND endpoint_id = ? AND status = 'failed' AND created_at >= ?`,
    ),
    countFailed: db.prepare<[string, string, number], { n: number }>(
      `SELECT count(*) AS n FROM deliveries WHERE tenant_id = ? AND endpoint_id = ? AND status = 'failed' AND created_at >= ?`,
    ),
    getDelivery: db.prepare<[string, string], DeliveryRow>('SELECT * FROM deliveries WHERE tenant_id = ? AND id = ?'),
    listAttempts: db.prepare<[string], AttemptRowWithEvent>(
      `SELECT a.*, e.id AS ev_id, e.type AS ev_type, e.payload AS ev_payload, e.occurred_at AS ev_occurred_at
       FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
       WHERE a.delivery_id = ? ORDER BY a.attempt_number, a.id`,
    ),
    statusCounts: db.prepare<[string, number], { status: string; n: number }>(
      'SELECT status, count(*) AS n FROM deliveries WHERE endpoint_id = ? AND created_at >= ? GROUP BY status',
    ),
    attemptAgg: db.prepare<[string, number], { n: number; avg: number | null }>(
      `SELECT count(*) AS n, avg(duration_ms) AS avg FROM attempts
       WHERE endpoint_id = ? AND started_at >= ? AND response_status IS NOT NULL`,
    ),
    attemptPct: db.prepare<[string, number, number], { d: number }>(
      `SELECT duration_ms AS d FROM attempts WHERE endpoint_id = ? AND started_at >= ? AND response_status IS NOT NULL
       ORDER BY duration_ms LIMIT 1 OFFSET ?`,
    ),
    lastAttempt: db.prepare<[string, number], { started_at: number; response_status: number | null }>(
      `SELECT started_at, response_status FROM attempts WHERE endpoint_id = ? AND started_at >= ?
       ORDER BY started_at DESC LIMIT 1`,
    ),
  }

  const endpointOf = db.prepare<[string], { endpoint_id: string }>('SELECT endpoint_id FROM deliveries WHERE id = ?')
  const promoteEndpoint = (deliveryId: string, now: number): void => {
    const ep = endpointOf.get(deliveryId)?.endpoint_id
    if (ep !== undefined) s.promote.get(now, ep, ep)
  }

  const insertEvent = (ev: StoredEvent): void =>
    void s.insertEvent.run(ev.id, ev.tenantId, ev.type, ev.payloadJson, JSON.stringify(ev.channels), ev.idempotencyKey, ev.occurredAt, ev.createdAt, ev.deliveryCount)

  /** `exists`: the delivery is known to be there, so the statement need not look for it. */
  const insertAttempt = (row: AttemptRow, exists = false): void => {
    const values = attemptValues(row)
    if (exists) return void s.insertAttemptPlain.run(values)
    values.push(row.delivery_id)
    s.insertAttempt.run(values)
  }

  /**
   * Whether an endpoint still takes deliveries: one deleted or disabled since the fan-out was
   * computed gets none, instead of failing the whole group commit on a foreign key. `known` keeps
   * the answers for one transaction, in which no other writer can change them: a group's events
   * mostly go to the same few endpoints.
   */
  const endpointTakes = (endpointId: string, known: Map<string, boolean>): boolean => {
    let takes = known.get(endpointId)
    if (takes === undefined) {
      takes = s.endpointEnabled.get(endpointId)?.enabled === 1
      known.set(endpointId, takes)
    }
    return takes
  }

  const publishOne = (item: PublishItem, now: number, windowMs: number, known: Map<string, boolean>): PublishOutcome => {
    const ev = item.event
    if (ev.idempotencyKey !== null) {
      const seen = s.findIdem.get(ev.tenantId, ev.idempotencyKey)
      if (seen && seen.created_at > now - windowMs) {
        const original = s.getEventById.get(seen.event_id)
        if (original) return { kind: 'duplicate', event: eventFromRow(original) }
      }
    }
    insertEvent(ev)
    const deliveryIds: string[] = []
    for (const d of item.deliveries) {
      // An ordered one is written held, never leased, and then promoted if it is the endpoint's head.
      if (!endpointTakes(d.endpointId, known)) continue
      if (d.ordered) s.insertDelivery.run(d.id, ev.tenantId, ev.id, d.endpointId, null, null, 1, now, now)
      else s.insertDelivery.run(d.id, ev.tenantId, ev.id, d.endpointId, d.nextAttemptAt, d.leaseOwner, 0, now, now)
      deliveryIds.push(d.id)
      if (d.ordered) s.promote.get(now, d.endpointId, d.endpointId)
    }
    if (deliveryIds.length !== ev.deliveryCount) s.setDeliveryCount.run(deliveryIds.length, ev.id)
    if (ev.idempotencyKey !== null) s.putIdem.run(ev.tenantId, ev.idempotencyKey, ev.id, now)
    return { kind: 'created', event: { ...ev, deliveryCount: deliveryIds.length }, deliveryIds }
  }
  const publishOneAlone = db.transaction(publishOne)

  // The group commit: one transaction for the whole group. Should any publish in it fail (its
  // tenant deleted meanwhile, say), the group is rolled back and written again with a savepoint
  // per publish, so that one fails alone; savepoints cost too much to pay on every publish.
  const publishGroup = db.transaction((items: PublishItem[], now: number, windowMs: number): PublishOutcome[] => {
    const known = new Map<string, boolean>()
    return items.map((item) => publishOne(item, now, windowMs, known))
  })
  const publishIsolated = db.transaction((items: PublishItem[], now: number, windowMs: number): PublishOutcome[] => {
    const known = new Map<string, boolean>()
    return items.map((item) => {
      try {
        return publishOneAlone(item, now, windowMs, known)
      } catch (error) {
        return { kind: 'error', error: error as Error }
      }
    })
  })
  const publishAll = (items: PublishItem[], now: number, windowMs: number): PublishOutcome[] => {
    try {
      return publishGroup.immediate(items, now, windowMs)
    } catch {
      return publishIsolated.immediate(items, now, windowMs)
    }
  }

  const claimAll = db.transaction((owner: string, now: number, limit: number, leaseMs: number, exclude: readonly string[]): DueDelivery[] => {
    const rows =
      exclude.length === 0
        ? s.claim.all(owner, now + leaseMs, now, limit)
        : s.claimExcluding.all(owner, now + leaseMs, now, JSON.stringify(exclude), limit)
    const out: DueDelivery[] = []
    // An event's deliveries were created together and come out together (same due time, adjacent
    // ids): each event is read once, and its deliveries share the one payload string.
    let lastEventId: string | null = null
    let ev: Pick<EventRow, 'type' | 'payload' | 'occurred_at'> | undefined
    for (const r of rows) {
      if (r.event_id !== lastEventId) {
        ev = s.eventForSend.get(r.event_id)
        lastEventId = r.event_id
      }
      if (!ev) continue // deleted with its tenant meanwhile; the cascade removes the delivery too
      out.push({
        id: r.id,
        tenantId: r.tenant_id,
        endpointId: r.endpoint_id,
        eventId: r.event_id,
        eventType: ev.type,
        payloadJson: ev.payload,
        occurredAt: ev.occurred_at,
        attemptCount: r.attempt_count,
        trigger: r.pending_trigger as AttemptTrigger,
        oneShot: r.one_shot === 1,
        ordered: r.ordered === 1,
      })
    }
    return out
  })

  const settleAll = db.transaction((items: Settlement[], now: number): boolean[] =>
    items.map((it) => {
      const next = it.status === 'pending' ? it.nextAttemptAt : null
      const count = it.claimedAttemptCount + (it.attempt === null ? 0 : 1)
      const r = s.settle.run(it.status, count, next, now, it.deliveryId, it.leaseOwner, it.claimedAttemptCount, it.claimedTrigger)
      const applied = r.changes > 0
      // The attempt happened whatever became of the lease, so it is logged, unless its delivery is
      // gone (its endpoint or tenant deleted meanwhile): then there is nothing to log it against,
      // and failing the insert would fail the whole batch with it. A settle that applied found
      // the delivery, so its attempt goes in without looking for it again.
      if (it.attempt !== null) insertAttempt(attemptToRow(it.attempt, it.envelopeBody), applied)
      // The endpoint's head finished: the next in line becomes due in the same transaction.
      if (applied && it.ordered && it.status !== 'pending') promoteEndpoint(it.deliveryId, now)
      return applied
    }),
  )

  const renewAll = db.transaction((owner: string, ids: readonly string[], until: number): string[] =>
    ids.filter((id) => s.renewOne.run(until, id, owner).changes > 0),
  )

  const publishRelaxed = relaxedCommit(publishAll)
  const claimRelaxed = relaxedCommit((...a: Parameters<typeof claimAll>) => claimAll.immediate(...a))
  const settleRelaxed = relaxedCommit((...a: Parameters<typeof settleAll>) => settleAll.immediate(...a))
  // A renewal lost to power failure only lets a lease end on time: at worst a repeat, as for claims.
  const renewRelaxed = relaxedCommit((...a: Parameters<typeof renewAll>) => renewAll.immediate(...a))

  const requeueTx = db.transaction((tenantId: string, deliveryId: string, now: number): boolean => {
    const row = s.requeue.get(now, now, tenantId, deliveryId)
    if (row?.ordered === 1) s.promote.get(now, row.endpoint_id, row.endpoint_id)
    return row !== undefined
  })
  const recoverTx = db.transaction((tenantId: string, endpointId: string, since: number, now: number): number => {
    const n = s.recover.run(now, now, tenantId, endpointId, since).changes
    if (n > 0) s.promote.get(now, endpointId, endpointId)
    return n
  })
  const promoteTx = db.transaction((endpointIds: readonly string[] | null, now: number): number => {
    const ids = endpointIds ?? s.heldEndpoints.all().map((r) => r.endpoint_id)
    return ids.reduce((n, id) => n + (s.promote.get(now, id, id) ? 1 : 0), 0)
  })

  const recordTest = db.transaction((...args: Parameters<HotPath['recordTestDelivery']>) => {
    const [d, ev, attempt] = args
    insertEvent(ev)
    s.insertDeliveryRow.run(finishedDeliveryRow(d))
    insertAttempt(attemptToRow(attempt, attempt.request.body === defaultBody(ev)))
  })

  return {
    async publishBatch(items, now, windowMs) {
      const outcomes = publishRelaxed(items, now, windowMs)
      if (walSync !== null && outcomes.some((o) => o.kind === 'created')) await walSync()
      return outcomes
    },
    async claimDue({ owner, now, limit, leaseMs, excludeEndpoints }) {
      return claimRelaxed(owner, now, limit, leaseMs, excludeEndpoints ?? [])
    },
    async settle(items) {
      return settleRelaxed(items, Date.now())
    },
    async renewLeases(owner, ids, until) {
      return ids.length === 0 ? [] : renewRelaxed(owner, ids, until)
    },
    async releaseLeases(owner, ids, now) {
      if (owner === null) return s.releaseAll.run(now).changes
      if (ids === null) return s.releaseOwner.run(now, owner).changes
      const one = owner
      return db.transaction(() => ids.reduce((n, id) => n + s.releaseOne.run(now, one, id).changes, 0)).immediate()
    },
    async nextDueAt() {
      return s.nextDue.get()?.t ?? null
    },
    async pendingCount() {
      return s.pendingCount.get()?.n ?? 0
    },
    async requeueManual(tenantId, deliveryId, now) {
      return requeueTx.immediate(tenantId, deliveryId, now)
    },
    async countFailed(tenantId, endpointId, since) {
      return s.countFailed.get(tenantId, endpointId, since)?.n ?? 0
    },
    async recoverFailed(tenantId, endpointId, since, now) {
      return recoverTx.immediate(tenantId, endpointId, since, now)
    },
    async promoteOrdered(endpointIds, now) {
      return promoteTx.immediate(endpointIds, now)
    },
    async releaseOrdered(endpointId, now) {
      return s.releaseOrdered.run(now, endpointId).changes
    },
    async recordTestDelivery(d, ev, attempt) {
      recordTest.immediate(d, ev, attempt)
    },

    async getDelivery(tenantId, id) {
      const row = s.getDelivery.get(tenantId, id)
      return row ? deliveryFromRow(row) : null
    },
    async listDeliveries(tenantId, filter, page) {
      const where = ['d.tenant_id = ?']
      const args: unknown[] = [tenantId]
      const add = (clause: string, value: unknown): void => {
        where.push(clause)
        args.push(value)
      }
      if (filter.endpointId !== undefined) add('d.endpoint_id = ?', filter.endpointId)
      if (filter.eventId !== undefined) add('d.event_id = ?', filter.eventId)
      if (filter.eventType !== undefined) add('e.type = ?', filter.eventType)
      if (filter.status !== undefined) add('d.status = ?', filter.status)
      if (filter.since !== undefined) {
        add('d.created_at >= ?', filter.since)
        // Bounds the newest-first scan of the tenant's ids, which would otherwise run to the oldest.
        add('d.id >= ?', deliveryIdFloor(filter.since))
      }
      if (filter.until !== undefined) add('d.created_at < ?', filter.until)
      if (page.after !== null) add('d.id < ?', page.after)
      args.push(page.limit)
      const rows = db.prepare<unknown[], DeliveryRow & { event_type: string }>(
        `SELECT d.*, e.type AS event_type FROM deliveries d JOIN events e ON e.id = d.event_id
         WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ?`,
      ).all(...args)
      return rows.map(deliveryFromRow)
    },
    async listAttempts(deliveryId) {
      return s.listAttempts.all(deliveryId).map(attemptFromRow)
    },
    async endpointStats(endpointId, since) {
      const counts = { pending: 0, succeeded: 0, failed: 0 } as Record<string, number>
      for (const r of s.statusCounts.all(endpointId, since)) counts[r.status] = r.n
      const agg = s.attemptAgg.get(endpointId, since)
      const n = agg?.n ?? 0
      const p95 = n > 0 ? (s.attemptPct.get(endpointId, since, Math.ceil(0.95 * n) - 1)?.d ?? null) : null
      const last = s.lastAttempt.get(endpointId, since)
      return {
        total: (counts.pending ?? 0) + (counts.succeeded ?? 0) + (counts.failed ?? 0),
        succeeded: counts.succeeded ?? 0,
        failed: counts.failed ?? 0,
        pending: counts.pending ?? 0,
        avgResponseMs: agg?.avg === null || agg?.avg === undefined ? null : Math.round(agg.avg),
        p95ResponseMs: p95,
        lastAttemptAt: last?.started_at ?? null,
        lastStatusCode: last?.response_status ?? null,
      }
    },
  }
}
