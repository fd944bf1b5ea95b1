import type BetterSqlite3 from 'better-sqlite3'

/**
 * Wraps a synchronous transaction so it commits with synchronous=NORMAL whatever the configured
 * setting. In WAL mode a NORMAL commit survives a process crash but not a power loss: use it for
 * writes whose loss on power failure costs a repeat (a lease, an outcome, a log line), never for an
 * accepted event (publishes flush the WAL themselves before answering; see wal-sync.ts).
 */
export function relaxedCommitFor(db: BetterSqlite3.Database, synchronous: 'NORMAL' | 'FULL') {
  const relaxed = db.prepare('PRAGMA synchronous = NORMAL')
  const configured = db.prepare(`PRAGMA synchronous = ${synchronous}`)
  return <A extends unknown[], R>(fn: (...args: A) => R) =>
    synchronous === 'NORMAL'
      ? fn
      : (...args: A): R => {
          relaxed.run()
          try {
            return fn(...args)
          } finally {
            configured.run()
          }
        }
}
