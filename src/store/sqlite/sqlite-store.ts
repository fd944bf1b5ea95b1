import BetterSqlite3 from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { join } from 'node:path'
import { makePrivateDir, touchPrivateFile } from '../../private-files.js'
import type { Database } from '../schema.js'
import type { Store } from '../store.js'
import { startCheckpointer, type Checkpointer } from './checkpointer.js'
import { createKyselyCrud } from '../kysely-crud.js'
import { createKyselyRoutes } from '../kysely-routes.js'
import { createSqliteSources } from './sqlite-sources.js'
import { createSqliteDeliveries } from './sqlite-deliveries.js'
import { createSqliteSeries } from './sqlite-series.js'
import { createSqliteRetention } from './sqlite-retention.js'
import { migrateSqlite } from './sqlite-migrate.js'
import { createWalSync } from './wal-sync.js'

export interface SqliteOptions {
  /** A directory for hookrelay.db, or ':memory:'. */
  dataDir: string
  /** NORMAL survives a process crash; FULL also survives power loss. Default FULL. */
  synchronous?: 'NORMAL' | 'FULL'
}

/**
 * The embedded store: better-sqlite3 in WAL mode. CRUD goes through Kysely; the queue's hot path
 * (publish, claim, settle) uses prepared statements in synchronous transactions (see
 * sqlite-deliveries.ts), because a Kysely transaction awaits between statements and one
 * connection cannot keep other work out of it.
 */
export function openSqliteStore(opts: SqliteOptions): Store {
  let path = ':memory:'
  if (opts.dataDir !== ':memory:') {
    // A directory made here is 0700 and a database made here 0600 (its -wal and -shm follow it).
    makePrivateDir(opts.dataDir)
    path = join(opts.dataDir, 'hookrelay.db')
    touchPrivateFile(path)
  }
  const db = new BetterSqlite3(path)
  // 8 KiB pages for a new database (an existing one keeps its own): the rows that matter most
  // (events with their payloads, logged requests with their bodies, attempts) run to kilobytes, and
  // with 4 KiB pages a 2.5 KiB row fills a page alone. Measured here, inserting 2 KiB rows ran 1.8x
  // faster with 8 KiB pages.
  db.pragma('page_size = 8192')
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  // 16 MB of page cache: the hot pages are the queue's index and the newest rows; more only adds RSS.
  db.pragma('cache_size = -16000')
  migrateSqlite(db)
  // Checkpoints move to their own thread (see checkpointer.ts). The auto-checkpoint stays as the
  // bound: at 32 MiB of WAL a commit checkpoints what the thread has not copied yet and the WAL
  // starts over, cut back to 64 MiB if it grew past that.
  let checkpointer: Checkpointer | null = null
  if (path !== ':memory:') {
    const pageSize = db.pragma('page_size', { simple: true }) as number
    db.pragma(`wal_autocheckpoint = ${Math.round((32 * 1024 * 1024) / pageSize)}`)
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
    checkpointer = startCheckpointer(path)
  }
  const k = new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) })
  const synchronous = opts.synchronous ?? 'FULL'
  const walSync = path === ':memory:' || synchronous === 'NORMAL' ? null : createWalSync(`${path}-wal`)
  const deliveries = createSqliteDeliveries(db, synchronous, walSync)
  const sources = createSqliteSources(db, k, synchronous)

  const isUniqueViolation = (err: unknown): boolean =>
    (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE'

  const crud = createKyselyCrud(k, isUniqueViolation)

  return {
    dialect: 'sqlite',
    ...deliveries,
    ...createSqliteSeries(db),
    ...sources,
    ...crud,
    ...createSqliteRetention(db, synchronous),
    ...createKyselyRoutes(k, isUniqueViolation),

    async close() {
      await checkpointer?.stop()
      await k.destroy() // closes the better-sqlite3 handle too
    },
  }
}
