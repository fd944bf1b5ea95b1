import { sql, type Kysely } from 'kysely'
import type { Attempt, AttemptTrigger } from '../../core/model.js'
import { defaultBody } from '../../core/shaping/payload-body.js'
import { attemptFromRow, attemptToRow, deliveryFromRow, deliveryIdFloor, eventToRow, finishedDeliveryRow, type AttemptRowWithEvent } from '../rows.js'
import type { AttemptRow, Database, DeliveryRow, EventRow } from '../schema.js'
import type { DeliveryLog, DeliveryQueue, DueDelivery, EventStore, Settlement } from '../store.js'
import { createPostgresPublish } from './postgres-publish.js'
import { notifyDue } from './postgres-notify.js'
import { lockOrdered, promoteHeads } from './postgres-ordered.js'
import { pgText } from './pg-text.js'

/** SQLSTATE foreign_key_violation. */
const FOREIGN_KEY_VIOLATION = '23503'

type HotPath = DeliveryQueue & Omit<DeliveryLog, 'attemptSeries'> & Pick<EventStore, 'publishBatch'>

type ClaimedRow = Pick<DeliveryRow, 'id' | 'tenant_id' | 'endpoint_id' | 'event_id' | 'attempt_count' | 'pending_trigger' | 'one_shot' | 'ordered'> &
  Pick<EventRow, 'type' | 'payload' | 'occurred_at'>

/**
 * The queue on PostgreSQL, with the SQLite dialect's contract and semantics. What differs is
 * concurrency: any number of nodes share the table, so a claim locks the rows it takes with
 * FOR UPDATE SKIP LOCKED (another worker's claim skips them instead of waiting or taking them too),
 * and a settlement applies only while the claim's lease, attempt count and trigger still hold.
 * Row sets go in as arrays (`unnest`): one statement per batch, whatever its size.
 */
export function createPostgresDeliveries(
  k: Kysely<Database>,
  /** Claims, settlements, renewed and released leases go through this one: relaxed commits (postgres-store.ts). Default `k`. */
  queue: Kysely<Database> = k,
): HotPath {
  const publish = createPostgresPublish(k)

  const settleAll = (items: Settlement[]): Promise<boolean[]> => {
    const now = Date.now()
    const distinct = new Set(items.map((it) => it.deliveryId)).size === items.length
    // A fifo endpoint's head that finishes promotes the next one in the same transaction, under
    // the endpoint's lock (lockOrdered), taken before any row.
    const heads = items.filter((it) => it.ordered && it.status !== 'pending').map((it) => it.deliveryId)
    // One statement is one transaction. A delivery settled twice in one batch would meet itself
    // in one UPDATE, which applies one row of the two, unpredictably; applied one after another
    // instead, in one transaction, the second sees the first's change and is refused, as on SQLite.
    if (distinct && heads.length === 0) return settleBatch(queue, items, now)
    return queue.transaction().execute(async (trx) => {
      const endpoints = heads.length === 0 ? [] : await endpointsOf(trx, heads)
      await lockOrdered(trx, endpoints)
      const out: boolean[] = []
      if (distinct) out.push(...(await settleBatch(trx, items, now)))
      else for (const it of items) out.push(...(await settleBatch(trx, [it], now)))
      if (endpoints.length > 0 && (await promoteHeads(trx, endpoints, now)) > 0) await notifyDue(trx)
      return out
    })
  }

  return {
    ...publish,

    async claimDue({ owner, now, limit, leaseMs, excludeEndpoints }) {
      const exclude = excludeEndpoints ?? []
      // SKIP LOCKED: rows another worker's claim holds are passed over, not waited for. Rows it has
      // claimed and committed now have next_attempt_at in the future, and the recheck after the
      // lock drops them, so a delivery is never claimed twice.
      const rows = await sql<ClaimedRow>`
        WITH due AS (
          SELECT id FROM deliveries
          WHERE status = 'pending' AND next_attempt_at <= ${now}::bigint
            ${exclude.length === 0 ? sql`` : sql`AND endpoint_id <> ALL(${[...exclude]}::text[])`}
          ORDER BY next_attempt_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        ), claimed AS (
          UPDATE deliveries d SET lease_owner = ${owner}, next_attempt_at = ${now + leaseMs}::bigint
          FROM due WHERE d.id = due.id
          RETURNING d.id, d.tenant_id, d.endpoint_id, d.event_id, d.attempt_count, d.pending_trigger, d.one_shot, d.ordered
        )
        SELECT c.*, e.type, e.payload, e.occurred_at FROM claimed c JOIN events e ON e.id = c.event_id`.execute(queue)
      return rows.rows.map(
        (r): DueDelivery => ({
          id: r.id,
          tenantId: r.tenant_id,
          endpointId: r.endpoint_id,
          eventId: r.event_id,
          eventType: r.type,
          payloadJson: r.payload,
          occurredAt: r.occurred_at,
          attemptCount: r.attempt_count,
          trigger: r.pending_trigger as AttemptTrigger,
          oneShot: r.one_shot === 1,
          ordered: r.ordered === 1,
        }),
      )
    },

    async settle(items) {
      if (items.length === 0) return []
      // A delivery deleted while this statement ran (its endpoint or tenant, by another
      // transaction) passes the EXISTS but fails the foreign key: once more, it is seen gone.
      const applied = await settleAll(items).catch((err: unknown) => {
        if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION) return settleAll(items)
        throw err
      })
      // A retry scheduled here is due for any worker later: let the idle ones arm a timer for it,
      // in case this one is gone by then.
      if (items.some((it) => it.status === 'pending')) await notifyDue(k)
      return applied
    },

    async renewLeases(owner, ids, until) {
      if (ids.length === 0) return []
      // The row lock orders this against a claim: one that took the row first has changed its
      // owner, and this UPDATE, rechecking its WHERE after the lock, leaves it; one that comes
      // second finds it no longer due.
      const { rows } = await sql<{ id: string }>`
        UPDATE deliveries SET next_attempt_at = GREATEST(next_attempt_at, ${until}::bigint)
        WHERE id = ANY(${[...ids]}::text[]) AND lease_owner = ${owner} AND status = 'pending'
        RETURNING id`.execute(queue)
      return rows.map((r) => r.id)
    },
    async releaseLeases(owner, ids, now) {
      let q = queue.updateTable('deliveries').set({ lease_owner: null, next_attempt_at: now }).where('status', '=', 'pending')
      if (owner === null) q = q.where('lease_owner', 'is not', null)
      else q = q.where('lease_owner', '=', owner)
      if (owner !== null && ids !== null) {
        if (ids.length === 0) return 0
        q = q.where(sql<boolean>`id = ANY(${ids}::text[])`)
      }
      const released = Number((await q.executeTakeFirst()).numUpdatedRows)
      if (released > 0) await notifyDue(k)
      return released
    },
    async nextDueAt() {
      const row = await k
        .selectFrom('deliveries')
        .select((eb) => eb.fn.min('next_attempt_at').as('t'))
        .where('status', '=', 'pending')
        .executeTakeFirst()
      return row?.t ?? null
    },
    async pendingCount() {
      // count() is int8: the pool parses it to a number (postgres-pool.ts).
      const row = await k
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'pending')
        .executeTakeFirst()
      return row?.n ?? 0
    },
    async requeueManual(tenantId, deliveryId, now) {
      return k.transaction().execute(async (trx) => {
        const found = await sql<{ endpoint_id: string; ordered: number }>`
          SELECT endpoint_id, ordered FROM deliveries WHERE tenant_id = ${tenantId} AND id = ${deliveryId}`.execute(trx)
        const row = found.rows[0]
        if (row === undefined) return false
        if (row.ordered === 1) await lockOrdered(trx, [row.endpoint_id])
        // SET expressions read the row as it was, so one_shot sees the old status (as on SQLite). An
        // ordered delivery that is not its endpoint's scheduled one goes back held: it takes its
        // turn, by id, after the one under way.
        const r = await sql`
          UPDATE deliveries SET one_shot = CASE WHEN status = 'pending' THEN 0 ELSE 1 END, status = 'pending',
            next_attempt_at = CASE WHEN ordered = 1 AND (status <> 'pending' OR next_attempt_at IS NULL) THEN NULL ELSE ${now}::bigint END,
            lease_owner = NULL, pending_trigger = 'manual', updated_at = ${now}::bigint
          WHERE tenant_id = ${tenantId} AND id = ${deliveryId}`.execute(trx)
        const requeued = (r.numAffectedRows ?? 0n) > 0n
        if (requeued && row.ordered === 1) await promoteHeads(trx, [row.endpoint_id], now)
        if (requeued) await notifyDue(trx)
        return requeued
      })
    },
    async countFailed(tenantId, endpointId, since) {
      // count() is int8: the pool parses it to a number (postgres-pool.ts).
      const row = await k
        .selectFrom('deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('endpoint_id', '=', endpointId)
        .where('status', '=', 'failed')
        .where('created_at', '>=', since)
        .executeTakeFirst()
      return row?.n ?? 0
    },
    async recoverFailed(tenantId, endpointId, since, now) {
      return k.transaction().execute(async (trx) => {
        await lockOrdered(trx, [endpointId])
        // Ordered ones go back held and take their turns (promoted below if nothing is under way).
        const r = await sql`
          UPDATE deliveries SET status = 'pending', next_attempt_at = CASE WHEN ordered = 1 THEN NULL ELSE ${now}::bigint END,
            lease_owner = NULL, pending_trigger = 'manual', one_shot = 1, updated_at = ${now}::bigint
          WHERE tenant_id = ${tenantId} AND endpoint_id = ${endpointId} AND status = 'failed' AND created_at >= ${since}::bigint`.execute(trx)
        const count = Number(r.numAffectedRows ?? 0n)
        if (count > 0) {
          await promoteHeads(trx, [endpointId], now)
          await notifyDue(trx)
        }
        return count
      })
    },
    async promoteOrdered(endpointIds, now) {
      return k.transaction().execute(async (trx) => {
        const ids =
          endpointIds ??
          (await sql<{ endpoint_id: string }>`
            SELECT DISTINCT endpoint_id FROM deliveries WHERE status = 'pending' AND ordered = 1 AND next_attempt_at IS NULL`.execute(trx)).rows.map((r) => r.endpoint_id)
        if (ids.length === 0) return 0
        await lockOrdered(trx, ids)
        const n = await promoteHeads(trx, ids, now)
        if (n > 0) await notifyDue(trx)
        return n
      })
    },
    async releaseOrdered(endpointId, now) {
      const r = await sql`
        UPDATE deliveries SET ordered = 0, next_attempt_at = coalesce(next_attempt_at, ${now}::bigint)
        WHERE endpoint_id = ${endpointId} AND status = 'pending' AND ordered = 1`.execute(k)
      const n = Number(r.numAffectedRows ?? 0n)
      if (n > 0) await notifyDue(k)
      return n
    },
    async recordTestDelivery(d, ev, attempt) {
      await k.transaction().execute(async (trx) => {
        await trx.insertInto('events').values(eventToRow(ev)).execute()
        await trx
          .insertInto('deliveries')
          .values(finishedDeliveryRow(d))
          .execute()
        await trx.insertInto('attempts').values(pgAttemptRow(attempt, attempt.request.body === defaultBody(ev))).execute()
      })
    },

    async getDelivery(tenantId, id) {
      const row = await k.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return row ? deliveryFromRow(row) : null
    },
    async listDeliveries(tenantId, filter, page) {
      let q = k
        .selectFrom('deliveries as d')
        .innerJoin('events as e', 'e.id', 'd.event_id')
        .selectAll('d')
        .select('e.type as event_type')
        .where('d.tenant_id', '=', tenantId)
        .orderBy('d.id', 'desc')
        .limit(page.limit)
      if (filter.endpointId !== undefined) q = q.where('d.endpoint_id', '=', filter.endpointId)
      if (filter.eventId !== undefined) q = q.where('d.event_id', '=', filter.eventId)
      if (filter.eventType !== undefined) q = q.where('e.type', '=', filter.eventType)
      if (filter.status !== undefined) q = q.where('d.status', '=', filter.status)
      // The id bound lets the scan of the tenant's ids stop (see deliveryIdFloor).
      if (filter.since !== undefined) q = q.where('d.created_at', '>=', filter.since).where('d.id', '>=', deliveryIdFloor(filter.since))
      if (filter.until !== undefined) q = q.where('d.created_at', '<', filter.until)
      if (page.after !== null) q = q.where('d.id', '<', page.after)
      return (await q.execute()).map(deliveryFromRow)
    },
    async listAttempts(deliveryId) {
      const rows = await sql<AttemptRowWithEvent>`
        SELECT a.*, e.id AS ev_id, e.type AS ev_type, e.payload AS ev_payload, e.occurred_at AS ev_occurred_at
        FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
        WHERE a.delivery_id = ${deliveryId} ORDER BY a.attempt_number, a.id`.execute(k)
      return rows.rows.map(attemptFromRow)
    },
    async endpointStats(endpointId, since) {
      const counts = await k
        .selectFrom('deliveries')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('endpoint_id', '=', endpointId)
        .where('created_at', '>=', since)
        .groupBy('status')
        .execute()
      const by = { pending: 0, succeeded: 0, failed: 0 } as Record<string, number>
      for (const r of counts) by[r.status] = r.n
      // Response times count attempts that got a response; p95 is the nearest rank, as on SQLite.
      const timed = k
        .selectFrom('attempts')
        .where('endpoint_id', '=', endpointId)
        .where('started_at', '>=', since)
        .where('response_status', 'is not', null)
      // avg() is numeric: the pool parses it to a number.
      const agg = await timed.select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.avg<number | null>('duration_ms').as('avg')]).executeTakeFirst()
      const n = agg?.n ?? 0
      const p95 =
        n > 0
          ? ((await timed.select('duration_ms').orderBy('duration_ms').limit(1).offset(Math.ceil(0.95 * n) - 1).executeTakeFirst())?.duration_ms ?? null)
          : null
      const last = await k
        .selectFrom('attempts')
        .select(['started_at', 'response_status'])
        .where('endpoint_id', '=', endpointId)
        .where('started_at', '>=', since)
        .orderBy('started_at', 'desc')
        .limit(1)
        .executeTakeFirst()
      return {
        total: (by.pending ?? 0) + (by.succeeded ?? 0) + (by.failed ?? 0),
        succeeded: by.succeeded ?? 0,
        failed: by.failed ?? 0,
        pending: by.pending ?? 0,
        avgResponseMs: agg?.avg === null || agg?.avg === undefined ? null : Math.round(agg.avg),
        p95ResponseMs: p95,
        lastAttemptAt: last?.started_at ?? null,
        lastStatusCode: last?.response_status ?? null,
      }
    },
  }
}

/** An attempt's row with its free text as PostgreSQL can keep it (see pg-text.ts). */
function pgAttemptRow(attempt: Attempt, envelopeBody: boolean): AttemptRow {
  const r = attemptToRow(attempt, envelopeBody)
  return { ...r, request_url: pgText(r.request_url), request_body: pgText(r.request_body), response_body: pgText(r.response_body), error_message: pgText(r.error_message) }
}

/** Applies a batch of settlements in one statement; delivery ids must be distinct. */
async function settleBatch(db: Kysely<Database>, items: Settlement[], now: number): Promise<boolean[]> {
  const attempts = items.flatMap((it) => (it.attempt === null ? [] : [pgAttemptRow(it.attempt, it.envelopeBody)]))
  const applied = await sql<{ id: string }>`
    WITH v AS (
      SELECT * FROM unnest(${items.map((it) => it.deliveryId)}::text[], ${items.map((it) => it.status)}::text[],
        ${items.map((it) => it.claimedAttemptCount + (it.attempt === null ? 0 : 1))}::int[],
        ${items.map((it) => (it.status === 'pending' ? it.nextAttemptAt : null))}::bigint[], ${items.map((it) => it.leaseOwner)}::text[],
        ${items.map((it) => it.claimedAttemptCount)}::int[], ${items.map((it) => it.claimedTrigger)}::text[])
        AS v(id, status, attempt_count, next_attempt_at, lease_owner, claimed_count, claimed_trigger)
    ), logged AS (
      -- The attempt happened whatever became of the lease, so it is logged, unless its delivery is
      -- gone (its endpoint or tenant deleted meanwhile): nothing to log it against, and the foreign
      -- key would fail the whole batch.
      INSERT INTO attempts (id, delivery_id, endpoint_id, tenant_id, attempt_number, trigger, started_at, duration_ms,
        request_method, request_url, request_headers, request_body, response_status, response_headers, response_body,
        error_kind, error_message, success)
      SELECT a.* FROM unnest(${attempts.map((a) => a.id)}::text[], ${attempts.map((a) => a.delivery_id)}::text[],
        ${attempts.map((a) => a.endpoint_id)}::text[], ${attempts.map((a) => a.tenant_id)}::text[], ${attempts.map((a) => a.attempt_number)}::int[],
        ${attempts.map((a) => a.trigger)}::text[], ${attempts.map((a) => a.started_at)}::bigint[], ${attempts.map((a) => a.duration_ms)}::int[],
        ${attempts.map((a) => a.request_method)}::text[], ${attempts.map((a) => a.request_url)}::text[], ${attempts.map((a) => a.request_headers)}::text[],
        ${attempts.map((a) => a.request_body)}::text[], ${attempts.map((a) => a.response_status)}::int[], ${attempts.map((a) => a.response_headers)}::text[],
        ${attempts.map((a) => a.response_body)}::text[], ${attempts.map((a) => a.error_kind)}::text[], ${attempts.map((a) => a.error_message)}::text[],
        ${attempts.map((a) => a.success)}::smallint[])
        AS a(id, delivery_id, endpoint_id, tenant_id, attempt_number, trigger, started_at, duration_ms, request_method, request_url,
          request_headers, request_body, response_status, response_headers, response_body, error_kind, error_message, success)
      WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)
    )
    UPDATE deliveries d SET status = v.status, attempt_count = v.attempt_count, next_attempt_at = v.next_attempt_at, lease_owner = NULL,
      pending_trigger = 'scheduled', one_shot = 0, updated_at = ${now}::bigint
    FROM v
    WHERE d.id = v.id AND d.lease_owner = v.lease_owner AND d.attempt_count = v.claimed_count AND d.pending_trigger = v.claimed_trigger
    RETURNING d.id`.execute(db)
  const ids = new Set(applied.rows.map((r) => r.id))
  return items.map((it) => ids.has(it.deliveryId))
}

async function endpointsOf(db: Kysely<Database>, deliveryIds: readonly string[]): Promise<string[]> {
  const r = await sql<{ endpoint_id: string }>`SELECT DISTINCT endpoint_id FROM deliveries WHERE id = ANY(${[...deliveryIds]}::text[])`.execute(db)
  return r.rows.map((x) => x.endpoint_id)
}
