import { sql, type Kysely } from 'kysely'
import type { Database } from '../schema.js'

// Fifo endpoints on PostgreSQL (API.md, Endpoints: ordering). Of an endpoint's pending ordered
// deliveries only the head has a next_attempt_at; the others are held (NULL) until it finishes.
/**
 * The advisory lock class of fifo endpoints (the two-int4 key space, apart from the migration
 * lock's int8 one); the second key is the endpoint id's hash. A collision only serializes two
 * endpoints' promotions a little more.
 */
const ORDERED_LOCK_CLASS = 0x66_69_66_6f // "fifo"

/**
 * Serializes promotion per fifo endpoint across nodes: a publish that writes a held delivery and a
 * settlement that finishes the head each take the endpoint's lock, then ask (in a later statement,
 * so with a snapshot taken after the lock) whether to promote. Without it, each could miss the
 * other's uncommitted row and leave the new delivery held with nothing scheduled. Taken in one
 * order (by key) before any delivery row is touched, so two holders never wait on each other.
 */
export async function lockOrdered(db: Kysely<Database>, endpointIds: readonly string[]): Promise<void> {
  if (endpointIds.length === 0) return
  await sql`
    SELECT pg_advisory_xact_lock(${ORDERED_LOCK_CLASS}::int, h)
    FROM (SELECT DISTINCT hashtext(e) AS h FROM unnest(${[...endpointIds]}::text[]) AS e ORDER BY h) AS keys`.execute(db)
}

/** For each fifo endpoint with nothing scheduled, makes its oldest held delivery due. Returns how many. */
export async function promoteHeads(db: Kysely<Database>, endpointIds: readonly string[], now: number): Promise<number> {
  if (endpointIds.length === 0) return 0
  const r = await sql<{ id: string }>`
    UPDATE deliveries d SET next_attempt_at = ${now}::bigint
    FROM unnest(${[...new Set(endpointIds)]}::text[]) AS v(endpoint_id)
    WHERE d.id = (SELECT h.id FROM deliveries h WHERE h.endpoint_id = v.endpoint_id AND h.status = 'pending' AND h.ordered = 1
                  AND h.next_attempt_at IS NULL ORDER BY h.id LIMIT 1)
      AND NOT EXISTS (SELECT 1 FROM deliveries s WHERE s.endpoint_id = v.endpoint_id AND s.status = 'pending' AND s.ordered = 1
                      AND s.next_attempt_at IS NOT NULL)
    RETURNING d.id`.execute(db)
  return r.rows.length
}

