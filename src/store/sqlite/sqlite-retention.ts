import type BetterSqlite3 from 'better-sqlite3'
import type { EventStore } from '../store.js'
import { eventIdCeiling } from '../rows.js'
import { relaxedCommitFor } from './relaxed-commit.js'

/**
 * The same rows as the PostgreSQL version: the oldest events before the cutoff with no pending
 * delivery and none changed since the cutoff; deliveries and attempts go by ON DELETE CASCADE.
 * Oldest first by id, a range of the id index bounded by the cutoff (see eventIdCeiling), so no
 * index on created_at is needed; created_at still decides, so no event is taken before its time.
 * Parameters: eventIdCeiling(before), before, before, limit.
 */
export const PRUNE_FINAL_EVENTS_SQL = `DELETE FROM events WHERE id IN (
  SELECT e.id FROM events e
  WHERE e.id < ? AND e.created_at < ?
    AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND (d.status = 'pending' OR d.updated_at >= ?))
  ORDER BY e.id LIMIT ?)`

/**
 * Retention's delete on SQLite: a prepared statement, committed with synchronous=NORMAL whatever
 * the setting. With FULL, every batch's COMMIT would fsync the WAL on the event loop, and a
 * retention pass runs thousands of batches: measured in bench/ (retention), that fsync was most of
 * a batch's time and the main cause of the publish tail during a pass. A power loss can only undo
 * the last deletes, which the next pass repeats; the frames are flushed anyway by the next
 * publish's WAL flush (wal-sync.ts) or the next checkpoint, both off the event loop.
 */
export function createSqliteRetention(db: BetterSqlite3.Database, synchronous: 'NORMAL' | 'FULL'): Pick<EventStore, 'pruneFinalEvents'> {
  const prune = db.prepare<[string, number, number, number]>(PRUNE_FINAL_EVENTS_SQL)
  const pruneRelaxed = relaxedCommitFor(db, synchronous)(
    (before: number, limit: number) => prune.run(eventIdCeiling(before), before, before, limit).changes,
  )
  return {
    async pruneFinalEvents(before, limit) {
      return pruneRelaxed(before, limit)
    },
  }
}
