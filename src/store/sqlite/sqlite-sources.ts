import type BetterSqlite3 from 'better-sqlite3'
import type { Kysely } from 'kysely'
import { createKyselySourceCrud } from '../kysely-sources.js'
import type { Database } from '../schema.js'
import type { SourceRequestWrite, SourceStore } from '../store.js'
import { relaxedCommitFor } from './relaxed-commit.js'

/**
 * Sources on SQLite. Configuration goes through Kysely; the ingest path (logging requests,
 * idempotency keys) uses prepared statements in one synchronous transaction per batch.
 */
export function createSqliteSources(db: BetterSqlite3.Database, k: Kysely<Database>, synchronous: 'NORMAL' | 'FULL'): SourceStore {
  const relaxedCommit = relaxedCommitFor(db, synchronous)
  const insertRequest = db.prepare(
    'INSERT OR IGNORE INTO source_requests (source_id, id, received_at, status, event_type, idempotency_key, error, actions, method, path, headers, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  // A key whose window has ended may be claimed again.
  const claimKey = db.prepare(
    'INSERT INTO source_idempotency (source_id, key, expires_at) VALUES (?, ?, ?) ON CONFLICT (source_id, key) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= excluded.expires_at',
  )
  const findKey = db.prepare<[string, string, number], { one: number }>('SELECT 1 AS one FROM source_idempotency WHERE source_id = ? AND key = ? AND expires_at > ?')
  // The source may have been deleted while its requests waited to be written: they go with it.
  const sourceExists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM sources WHERE id = ?')
  /** Writes one row; `known` says which sources exist, asked once each per batch. */
  const recordOne = ({ log, claim }: SourceRequestWrite, known: Map<string, boolean>): void => {
    let exists = known.get(log.sourceId)
    if (exists === undefined) known.set(log.sourceId, (exists = sourceExists.get(log.sourceId) !== undefined))
    if (!exists) return
    insertRequest.run(
      log.sourceId,
      log.id,
      log.receivedAt,
      log.status,
      log.eventType,
      log.idempotencyKey,
      log.error,
      JSON.stringify(log.actions),
      log.request.method,
      log.request.path,
      JSON.stringify(log.request.headers),
      log.request.body,
    )
    if (claim) claimKey.run(log.sourceId, claim.key, claim.expiresAt)
  }
  const recordOneAlone = db.transaction(recordOne)
  // One transaction per batch. Should any row fail, the batch is rolled back and written again with
  // a savepoint per row (a nested transaction), so that only that row is lost, not the rows of
  // other sources that shared its batch; as publishes do, and not on every batch for the same reason.
  const recordBatch = db.transaction((items: SourceRequestWrite[]) => {
    const known = new Map<string, boolean>()
    for (const item of items) recordOne(item, known)
  })
  const recordIsolated = db.transaction((items: SourceRequestWrite[]): unknown[] => {
    const known = new Map<string, boolean>()
    const failed: unknown[] = []
    for (const item of items) {
      try {
        recordOneAlone(item, known)
      } catch (error) {
        failed.push(error)
      }
    }
    return failed
  })
  const record = relaxedCommit((items: SourceRequestWrite[]): void => {
    try {
      recordBatch(items)
    } catch {
      const failed = recordIsolated(items)
      if (failed.length > 0) throw new AggregateError(failed, `${failed.length} of ${items.length} request log rows could not be written`)
    }
  })

  return {
    ...createKyselySourceCrud(k),
    async recordSourceRequests(items) {
      if (items.length > 0) record(items)
    },
    async hasIdempotencyClaim(sourceId, key, now) {
      return findKey.get(sourceId, key, now) !== undefined
    },
    async pruneSourceRequests(before) {
      // Rows are appended in time order, so the old ones are a prefix of seq: find where it ends by
      // reading only the rows about to go, with no index on the time.
      const firstKept = await k.selectFrom('source_requests').select('seq').where('received_at', '>=', before).orderBy('seq').limit(1).executeTakeFirst()
      let q = k.deleteFrom('source_requests')
      if (firstKept) q = q.where('seq', '<', firstKept.seq)
      const r = await q.executeTakeFirst()
      await k.deleteFrom('source_idempotency').where('expires_at', '<=', before).execute()
      return Number(r.numDeletedRows)
    },
  }
}
