import { sql, type Kysely } from 'kysely'
import { fairShares } from '../../core/fair-share.js'
import type { Database } from '../schema.js'
import type { SharedLimitStore } from '../store.js'

/** The database's clock in epoch milliseconds, fixed for the statement. */
const DB_NOW = sql<number>`(extract(epoch from statement_timestamp()) * 1000)::bigint`

/**
 * Per-endpoint slots and token buckets on PostgreSQL, shared by every worker (store.ts explains
 * the model). A share is computed under a transaction-scoped advisory lock on the endpoint, so two
 * workers asking at once see each other's rows; a token take is one upsert on the bucket's row.
 */
export function createPostgresSharedLimits(k: Kysely<Database>): SharedLimitStore {
  return {
    async shareSlots({ owner, endpointId, limit, want, running, ttlMs }) {
      return k.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`hookrelay.slots:${endpointId}`}, 0))`.execute(trx)
        const others = (
          await sql<{ owner: string; slots: number; want: number }>`
            SELECT owner, slots, want FROM endpoint_slots
            WHERE endpoint_id = ${endpointId} AND owner <> ${owner} AND expires_at > ${DB_NOW}`.execute(trx)
        ).rows
        // Every owner computes the same split: claimants in owner order, this one in its place. Were
        // each to put itself last, each would hand an uneven remainder to the others, and with a
        // limit smaller than the number of owners nobody would get a slot at all.
        const claimants = [...others, { owner, slots: 0, want }].sort((x, y) => (x.owner < y.owner ? -1 : x.owner > y.owner ? 1 : 0))
        const shares = fairShares(limit, claimants.map((c) => c.want))
        const share = shares[claimants.findIndex((c) => c.owner === owner)] ?? 0
        const free = limit - others.reduce((n, o) => n + o.slots, 0)
        // Others above their share give slots back when they renew; until then only what is free
        // can be taken. Attempts already under way keep theirs whatever the share.
        const granted = Math.max(0, Math.min(share, free))
        // Rows of owners that stopped renewing (a worker that died) go with this write.
        const written = await sql`
          WITH expired AS (DELETE FROM endpoint_slots WHERE endpoint_id = ${endpointId} AND expires_at <= ${DB_NOW})
          INSERT INTO endpoint_slots (endpoint_id, owner, slots, want, expires_at)
          SELECT ${endpointId}, ${owner}, ${Math.max(running, granted)}::int, ${want}::int, ${DB_NOW} + ${ttlMs}::bigint
          WHERE EXISTS (SELECT 1 FROM endpoints WHERE id = ${endpointId})
          ON CONFLICT (endpoint_id, owner) DO UPDATE SET slots = excluded.slots, want = excluded.want, expires_at = excluded.expires_at`.execute(trx)
        // A deleted endpoint has no limit left to keep: its deliveries went with it, and attempts
        // already queued find it gone.
        if ((written.numAffectedRows ?? 0n) === 0n) return { granted: want, share: want }
        return { granted, share }
      })
    },

    async setSlots(owner, endpointId, slots, ttlMs) {
      await sql`
        UPDATE endpoint_slots SET slots = ${slots}, expires_at = ${DB_NOW} + ${ttlMs}::bigint
        WHERE endpoint_id = ${endpointId} AND owner = ${owner} AND expires_at > ${DB_NOW}`.execute(k)
    },

    async renewSlots(owner, endpointIds, ttlMs) {
      if (endpointIds.length === 0) return []
      // Only unexpired rows: an expired one may already be counted as free by another worker. Only
      // the endpoints the caller still tracks: a row it forgot must expire, not live on.
      const { rows } = await sql<{ endpoint_id: string; contended: boolean }>`
        WITH mine AS (
          UPDATE endpoint_slots SET expires_at = ${DB_NOW} + ${ttlMs}::bigint
          WHERE owner = ${owner} AND endpoint_id = ANY(${[...endpointIds]}::text[]) AND expires_at > ${DB_NOW}
          RETURNING endpoint_id
        )
        SELECT m.endpoint_id, EXISTS (
          SELECT 1 FROM endpoint_slots o
          WHERE o.endpoint_id = m.endpoint_id AND o.owner <> ${owner} AND o.expires_at > ${DB_NOW} AND o.want > o.slots
        ) AS contended
        FROM mine m`.execute(k)
      return rows.map((r) => ({ endpointId: r.endpoint_id, contended: r.contended }))
    },

    async releaseSlots(owner, endpointIds) {
      if (endpointIds !== null && endpointIds.length === 0) return
      await sql`
        DELETE FROM endpoint_slots WHERE owner = ${owner}
        ${endpointIds === null ? sql`` : sql`AND endpoint_id = ANY(${[...endpointIds]}::text[])`}`.execute(k)
    },

    async takeTokens(endpointId, rate, want) {
      // The refill, written once and used twice: tokens now, at most one second's worth.
      const refilled = sql`LEAST(${rate}::float8, b.tokens + GREATEST(0, ${DB_NOW} - b.updated_at) / 1000.0 * ${rate}::float8)`
      const granted = sql`GREATEST(0, LEAST(${want}::int, FLOOR(${refilled})::int))`
      const first = Math.min(want, rate)
      const { rows } = await sql<{ granted: number; tokens: number }>`
        INSERT INTO endpoint_rate_buckets AS b (endpoint_id, tokens, granted, updated_at)
        SELECT ${endpointId}, ${rate - first}::float8, ${first}::int, ${DB_NOW}
        WHERE EXISTS (SELECT 1 FROM endpoints WHERE id = ${endpointId})
        ON CONFLICT (endpoint_id) DO UPDATE SET
          granted = ${granted}, tokens = ${refilled} - ${granted}, updated_at = GREATEST(b.updated_at, ${DB_NOW})
        RETURNING granted, tokens`.execute(k)
      const r = rows[0]
      // A deleted endpoint: as for its slots, nothing left to limit.
      return r === undefined ? { granted: want, tokens: 0 } : { granted: r.granted, tokens: r.tokens }
    },
  }
}
