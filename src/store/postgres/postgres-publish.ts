import { sql, type Kysely } from 'kysely'
import type { StoredEvent } from '../../core/model.js'
import { eventFromRow } from '../rows.js'
import type { Database, EventRow } from '../schema.js'
import type { EventStore, PublishItem, PublishOutcome } from '../store.js'
import { lockOrdered, promoteHeads } from './postgres-ordered.js'
import { DUE_CHANNEL, notifyDue } from './postgres-notify.js'

/**
 * publishBatch on PostgreSQL: the group commit. The whole group is one transaction of at most four
 * statements whatever its size (claim idempotency keys, read the originals of duplicates, take over
 * keys whose event is gone, insert the events with their deliveries), each passing its rows as
 * arrays (`unnest`), so a group of 2,000 publishes is neither 2,000 statements nor past the
 * 65,535-parameter limit of one. It answers after COMMIT, so a publish is acknowledged only once
 * it is durable (synchronous_commit is the server's).
 *
 * A group without idempotency keys or fifo endpoints (the common one) needs only the last of those
 * statements, and is that one statement alone, without BEGIN and COMMIT: a statement outside a
 * transaction block is its own transaction, all of it or nothing, and pg answers it only after
 * ReadyForQuery, i.e. after its commit (durable on this pool). That is one round trip per group
 * instead of three.
 *
 * Should any publish in the group fail (its tenant deleted meanwhile, say), its statement or
 * transaction is rolled back and the group written again with a SAVEPOINT per publish, so that one
 * fails alone: the SQLite dialect does the same. Savepoints are not used on every group because each costs two
 * round trips per publish, and more than 64 subtransactions in one transaction overflow each
 * backend's subtransaction cache, which slows every other session's snapshots.
 */
export function createPostgresPublish(k: Kysely<Database>): Pick<EventStore, 'publishBatch'> {
  return {
    async publishBatch(items, now, windowMs) {
      if (items.length === 0) return []
      try {
        if (items.every(isPlain)) return await publishPlain(k, items, now)
        return await k.transaction().execute((trx) => publishGroup(trx, items, now, windowMs))
      } catch {
        return k.transaction().execute(async (trx) => {
          const out: PublishOutcome[] = []
          for (const item of items) {
            await sql`SAVEPOINT publish`.execute(trx)
            try {
              out.push(...(await publishGroup(trx, [item], now, windowMs)))
              await sql`RELEASE SAVEPOINT publish`.execute(trx)
            } catch (error) {
              await sql`ROLLBACK TO SAVEPOINT publish`.execute(trx)
              out.push({ kind: 'error', error: error as Error })
            }
          }
          return out
        })
      }
    },
  }
}

const keyOf = (e: StoredEvent): string => `${e.tenantId}\u0000${e.idempotencyKey ?? ''}`
const byKey = (a: StoredEvent, b: StoredEvent): number => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0)

/** A publish with neither an idempotency key to claim nor a fifo endpoint's lock to take. */
const isPlain = (item: PublishItem): boolean => item.event.idempotencyKey === null && item.deliveries.every((d) => !d.ordered)

/** Writes a group of plain publishes (isPlain) in one statement, its own transaction; throws if any of it cannot be written. */
async function publishPlain(db: Kysely<Database>, items: PublishItem[], now: number): Promise<PublishOutcome[]> {
  // Deliveries no node took in memory are for whichever worker claims them first: the statement
  // tells them all, if it wrote any such delivery.
  const inserted = await insertEvents(db, items, now, items.some((item) => item.deliveries.some((d) => d.leaseOwner === null)))
  return items.map((item) => {
    const deliveryIds = item.deliveries.filter((d) => inserted.has(d.id)).map((d) => d.id)
    return { kind: 'created', event: { ...item.event, deliveryCount: deliveryIds.length }, deliveryIds }
  })
}

/** Writes a group inside the caller's transaction; throws if any of it cannot be written. */
async function publishGroup(db: Kysely<Database>, items: PublishItem[], now: number, windowMs: number): Promise<PublishOutcome[]> {
  const outcomes: Array<PublishOutcome | undefined> = items.map(() => undefined)

  // Idempotency. Within the window a later publish of the group with the key of an earlier one is
  // its duplicate; with no window each one publishes and the last keeps the key (as on SQLite).
  const keyHolder = new Map<string, number>()
  const sameKeyAs = new Map<number, number>()
  items.forEach(({ event }, i) => {
    if (event.idempotencyKey === null) return
    const first = keyHolder.get(keyOf(event))
    if (first !== undefined && windowMs > 0) sameKeyAs.set(i, first)
    else keyHolder.set(keyOf(event), i)
  })
  if (keyHolder.size > 0) {
    const holders = [...keyHolder.values()]
    const duplicates = await claimKeys(db, holders.map((i) => items[i]!.event), now, windowMs)
    for (const [j, original] of duplicates) outcomes[holders[j]!] = { kind: 'duplicate', event: original }
  }

  const fresh = items.filter((_, i) => outcomes[i] === undefined && !sameKeyAs.has(i))
  // Fifo endpoints' deliveries are written held; the endpoint's lock comes before the insert (see
  // lockOrdered), and the head is promoted after it.
  const ordered = [...new Set(fresh.flatMap((item) => item.deliveries.filter((d) => d.ordered).map((d) => d.endpointId)))]
  await lockOrdered(db, ordered)
  const inserted = fresh.length === 0 ? new Set<string>() : await insertEvents(db, fresh, now)
  const promoted = ordered.length === 0 ? 0 : await promoteHeads(db, ordered, now)
  // Deliveries no node took in memory are for whichever worker claims them first: tell them all.
  if (promoted > 0 || fresh.some((item) => item.deliveries.some((d) => d.leaseOwner === null && !d.ordered && inserted.has(d.id)))) await notifyDue(db)
  items.forEach((item, i) => {
    if (outcomes[i] !== undefined || sameKeyAs.has(i)) return
    const deliveryIds = item.deliveries.filter((d) => inserted.has(d.id)).map((d) => d.id)
    outcomes[i] = { kind: 'created', event: { ...item.event, deliveryCount: deliveryIds.length }, deliveryIds }
  })
  for (const [i, first] of sameKeyAs) {
    // The earlier publish was created or is itself a duplicate: either way it holds the original.
    const o = outcomes[first] as Extract<PublishOutcome, { event: StoredEvent }>
    outcomes[i] = { kind: 'duplicate', event: o.event }
  }
  return outcomes as PublishOutcome[]
}

/**
 * Claims the events' idempotency keys for them. A key is taken when it is new or its window has
 * ended; a key held within the window by an event that still exists makes a duplicate. Returns
 * those duplicates: index into `events` -> the original. Another node publishing the same key at
 * the same moment blocks on the key's row until it commits, then finds its event here.
 */
async function claimKeys(db: Kysely<Database>, events: StoredEvent[], now: number, windowMs: number): Promise<Map<number, StoredEvent>> {
  // Sorted, so that concurrent groups lock their keys in the same order and cannot deadlock.
  const sorted = [...events].sort(byKey)
  const claimed = await sql<{ tenant_id: string; key: string }>`
    INSERT INTO idempotency_keys (tenant_id, key, event_id, created_at)
    SELECT t, k, e, ${now}::bigint FROM unnest(${sorted.map((e) => e.tenantId)}::text[], ${sorted.map((e) => e.idempotencyKey)}::text[], ${sorted.map((e) => e.id)}::text[]) AS v(t, k, e)
    ON CONFLICT (tenant_id, key) DO UPDATE SET event_id = excluded.event_id, created_at = excluded.created_at
    WHERE idempotency_keys.created_at <= ${now - windowMs}::bigint
    RETURNING tenant_id, key`.execute(db)
  const taken = new Set(claimed.rows.map((r) => `${r.tenant_id}\u0000${r.key}`))
  const held = events.map((e, i) => [e, i] as const).filter(([e]) => !taken.has(keyOf(e)))
  const duplicates = new Map<number, StoredEvent>()
  if (held.length === 0) return duplicates

  const originals = await sql<EventRow & { held_key: string }>`
    SELECT k.key AS held_key, e.* FROM idempotency_keys k JOIN events e ON e.id = k.event_id
    WHERE (k.tenant_id, k.key) IN (SELECT * FROM unnest(${held.map(([e]) => e.tenantId)}::text[], ${held.map(([e]) => e.idempotencyKey)}::text[]))`.execute(db)
  const byHeldKey = new Map(originals.rows.map((r) => [`${r.tenant_id}\u0000${r.held_key}`, r]))
  const orphaned: StoredEvent[] = []
  for (const [e, i] of held) {
    const row = byHeldKey.get(keyOf(e))
    if (row === undefined) orphaned.push(e)
    else duplicates.set(i, eventFromRow(row))
  }
  // The key's event is gone (deleted with its tenant): as on SQLite, the key goes to the new event.
  if (orphaned.length > 0) {
    await sql`
      UPDATE idempotency_keys k SET event_id = v.e, created_at = ${now}::bigint
      FROM unnest(${orphaned.map((e) => e.tenantId)}::text[], ${orphaned.map((e) => e.idempotencyKey)}::text[], ${orphaned.map((e) => e.id)}::text[]) AS v(t, k, e)
      WHERE k.tenant_id = v.t AND k.key = v.k`.execute(db)
  }
  return duplicates
}

/**
 * Inserts the events and their deliveries in one statement; returns the ids of the deliveries
 * written. An endpoint deleted or disabled since the fan-out was computed gets no delivery, and
 * the event's delivery_count says how many it got (as on SQLite). With `notifyUnleased`, the same
 * statement sends the due-work notification (notifyDue) if it wrote any unleased, unordered
 * delivery, so that a group needs no second statement for it.
 */
async function insertEvents(db: Kysely<Database>, items: PublishItem[], now: number, notifyUnleased = false): Promise<Set<string>> {
  const evs = items.map((i) => i.event)
  const dls = items.flatMap(({ event, deliveries }) => deliveries.map((d) => ({ ...d, tenantId: event.tenantId, eventId: event.id })))
  const written = await sql<{ id: string | null }>`
    WITH v AS (
      SELECT * FROM unnest(${dls.map((d) => d.id)}::text[], ${dls.map((d) => d.tenantId)}::text[], ${dls.map((d) => d.eventId)}::text[],
        ${dls.map((d) => d.endpointId)}::text[], ${dls.map((d) => (d.ordered ? null : d.nextAttemptAt))}::bigint[],
        ${dls.map((d) => (d.ordered ? null : d.leaseOwner))}::text[], ${dls.map((d) => (d.ordered ? 1 : 0))}::smallint[])
        AS v(id, tenant_id, event_id, endpoint_id, next_attempt_at, lease_owner, ordered)
    ), live AS (
      SELECT v.* FROM v JOIN endpoints ep ON ep.id = v.endpoint_id WHERE ep.enabled = 1
    ), ev AS (
      INSERT INTO events (id, tenant_id, type, payload, channels, idempotency_key, occurred_at, created_at, delivery_count)
      SELECT u.id, u.tenant_id, u.type, u.payload, u.channels, u.idempotency_key, u.occurred_at, u.created_at, coalesce(n.n, 0)
      FROM unnest(${evs.map((e) => e.id)}::text[], ${evs.map((e) => e.tenantId)}::text[], ${evs.map((e) => e.type)}::text[],
        ${evs.map((e) => e.payloadJson)}::text[], ${evs.map((e) => JSON.stringify(e.channels))}::text[], ${evs.map((e) => e.idempotencyKey)}::text[],
        ${evs.map((e) => e.occurredAt)}::bigint[], ${evs.map((e) => e.createdAt)}::bigint[])
        AS u(id, tenant_id, type, payload, channels, idempotency_key, occurred_at, created_at)
      LEFT JOIN (SELECT event_id, count(*)::int AS n FROM live GROUP BY event_id) n ON n.event_id = u.id
    ), ins AS (
      INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, next_attempt_at, lease_owner, ordered, created_at, updated_at)
      SELECT id, tenant_id, event_id, endpoint_id, 'pending', 0, next_attempt_at, lease_owner, ordered, ${now}::bigint, ${now}::bigint FROM live
      RETURNING id, lease_owner, ordered
    )
    SELECT id FROM ins
    ${
      notifyUnleased
        ? // UNION ALL reads both branches to the end: the second notifies once if a written delivery is
          // for any worker, and adds a row whose id is NULL.
          sql`UNION ALL SELECT NULL FROM (SELECT pg_notify(${DUE_CHANNEL}, '') FROM ins WHERE lease_owner IS NULL AND ordered = 0 LIMIT 1) AS woke`
        : sql``
    }`.execute(db)
  const ids = new Set<string>()
  for (const r of written.rows) if (r.id !== null) ids.add(r.id)
  return ids
}
