import { sql, type Kysely } from 'kysely'
import { createKyselySourceCrud } from '../kysely-sources.js'
import type { Database } from '../schema.js'
import type { SourceStore, SourceRequestWrite } from '../store.js'
import { pgText } from './pg-text.js'

/**
 * Sources on PostgreSQL. Configuration goes through Kysely as on SQLite; a batch of the request
 * log is one transaction of three statements whatever its size, each row set passed as arrays
 * (`unnest`), so a batch never meets the 65,535-parameter limit of one statement.
 *
 * Should any row of a batch fail, the batch is rolled back and written again with a SAVEPOINT per
 * row, so that only that row is lost, not the rows of other sources and tenants that shared its
 * batch (as the group commit of publishes does, postgres-publish.ts, and for the same reasons not
 * on every batch). The rows that failed are then reported by one error, after the others commit.
 */
export function createPostgresSources(k: Kysely<Database>): SourceStore {
  async function recordBatch(items: SourceRequestWrite[]): Promise<void> {
    try {
      await k.transaction().execute((trx) => record(trx, items))
    } catch {
      const failed: unknown[] = []
      await k.transaction().execute(async (trx) => {
        for (const item of items) {
          await sql`SAVEPOINT request_log`.execute(trx)
          try {
            await record(trx, [item])
            await sql`RELEASE SAVEPOINT request_log`.execute(trx)
          } catch (error) {
            await sql`ROLLBACK TO SAVEPOINT request_log`.execute(trx)
            failed.push(error)
          }
        }
      })
      if (failed.length > 0) throw new AggregateError(failed, `${failed.length} of ${items.length} request log rows could not be written`)
    }
  }

  async function record(trx: Kysely<Database>, items: SourceRequestWrite[]): Promise<void> {
    // The source may have been deleted while its requests waited to be written: they go with it.
    // FOR KEY SHARE holds off a delete until this commits, so the foreign key cannot fail midway.
    const sourceIds = [...new Set(items.map((i) => i.log.sourceId))]
    const live = await sql<{ id: string }>`SELECT id FROM sources WHERE id = ANY(${sourceIds}::text[]) FOR KEY SHARE`.execute(trx)
    const exists = new Set(live.rows.map((r) => r.id))
    const logs = items.filter((i) => exists.has(i.log.sourceId)).map((i) => i.log)
    if (logs.length === 0) return
    // In the order given: seq then follows the time received, which pruning relies on.
    await sql`
      INSERT INTO source_requests (source_id, id, received_at, status, event_type, idempotency_key, error, actions, method, path, headers, body)
      SELECT * FROM unnest(
        ${logs.map((l) => l.sourceId)}::text[], ${logs.map((l) => l.id)}::text[], ${logs.map((l) => l.receivedAt)}::bigint[],
        ${logs.map((l) => l.status)}::text[], ${logs.map((l) => pgText(l.eventType))}::text[], ${logs.map((l) => pgText(l.idempotencyKey))}::text[],
        ${logs.map((l) => pgText(l.error))}::text[], ${logs.map((l) => pgText(JSON.stringify(l.actions)))}::text[], ${logs.map((l) => pgText(l.request.method))}::text[],
        ${logs.map((l) => pgText(l.request.path))}::text[], ${logs.map((l) => pgText(JSON.stringify(l.request.headers)))}::text[], ${logs.map((l) => l.request.body)}::bytea[])
      ON CONFLICT (source_id, id) DO NOTHING`.execute(trx)
    // One row per key in the statement (ON CONFLICT DO UPDATE may not touch a row twice): the
    // latest expiry wins, which is what claiming them one after another would leave. Sorted, so
    // that concurrent batches lock the keys in the same order.
    const claims = new Map<string, { sourceId: string; key: string; expiresAt: number }>()
    for (const { log, claim } of items) {
      if (claim === null || !exists.has(log.sourceId)) continue
      const id = `${log.sourceId}\u0000${claim.key}`
      const seen = claims.get(id)
      if (seen === undefined || seen.expiresAt < claim.expiresAt) claims.set(id, { sourceId: log.sourceId, key: claim.key, expiresAt: claim.expiresAt })
    }
    if (claims.size === 0) return
    const sorted = [...claims.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c)
    // A key whose window has ended may be claimed again.
    await sql`
      INSERT INTO source_idempotency (source_id, key, expires_at)
      SELECT * FROM unnest(${sorted.map((c) => c.sourceId)}::text[], ${sorted.map((c) => c.key)}::text[], ${sorted.map((c) => c.expiresAt)}::bigint[])
      ON CONFLICT (source_id, key) DO UPDATE SET expires_at = excluded.expires_at
      WHERE source_idempotency.expires_at <= excluded.expires_at`.execute(trx)
  }

  return {
    ...createKyselySourceCrud(k),
    async recordSourceRequests(items) {
      if (items.length > 0) await recordBatch(items)
    },
    async hasIdempotencyClaim(sourceId, key, now) {
      const row = await k
        .selectFrom('source_idempotency')
        .select(sql<number>`1`.as('one'))
        .where('source_id', '=', sourceId)
        .where('key', '=', key)
        .where('expires_at', '>', now)
        .executeTakeFirst()
      return row !== undefined
    },
    async pruneSourceRequests(before) {
      // Rows are appended in time order, so the old ones are a prefix of seq: find where it ends by
      // reading only the rows about to go, with no index on the time (as on SQLite). One statement,
      // so one snapshot: a request logged by another node meanwhile is never in the prefix.
      const r = await sql`
        DELETE FROM source_requests
        WHERE seq < coalesce((SELECT seq FROM source_requests WHERE received_at >= ${before} ORDER BY seq LIMIT 1), ${Number.MAX_SAFE_INTEGER})`.execute(k)
      await k.deleteFrom('source_idempotency').where('expires_at', '<=', before).execute()
      return Number(r.numAffectedRows ?? 0n)
    },
  }
}
