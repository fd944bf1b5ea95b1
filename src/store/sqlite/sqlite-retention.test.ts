import BetterSqlite3 from 'better-sqlite3'
import { expect, it } from 'vitest'
import { PRUNE_FINAL_EVENTS_SQL } from './sqlite-retention.js'
import { migrateSqlite } from './sqlite-migrate.js'

// Retention runs over tables of millions of rows: its scan must be a range of an index (the id's,
// since 0013 dropped the one on created_at), oldest first without a sort, and its cascades must
// find children by index. A plan that scans a table works on a small test database and stalls a
// real one, so the plan itself is what is tested.
it("retention's delete searches events by the id index, oldest first without a sort", () => {
  const db = new BetterSqlite3(':memory:')
  try {
    db.pragma('foreign_keys = ON')
    migrateSqlite(db)
    const plan = (sql: string, n: number): string[] =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array<null>(n).fill(null)) as { detail: string }[]).map((r) => r.detail)
    const prune = plan(PRUNE_FINAL_EVENTS_SQL, 4)
    expect(prune).toContain('SEARCH e USING INDEX sqlite_autoindex_events_1 (id<?)')
    expect(prune).toContain('SEARCH d USING INDEX deliveries_event (event_id=?)')
    expect(prune.filter((d) => d.startsWith('SCAN') || d.includes('TEMP B-TREE'))).toEqual([])
    // The cascade from an event to its deliveries, and from a delivery to its attempts.
    expect(plan('DELETE FROM events WHERE id = ?', 1)).toContain('SEARCH deliveries USING INDEX deliveries_event (event_id=?)')
    expect(plan('DELETE FROM deliveries WHERE id = ?', 1)).toContain('SEARCH attempts USING PRIMARY KEY (delivery_id=?)')
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_created'").all()).toEqual([])
  } finally {
    db.close()
  }
})
