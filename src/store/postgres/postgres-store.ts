import { Kysely, PostgresDialect } from 'kysely'
import type { Database } from '../schema.js'
import type { Store } from '../store.js'
import { createKyselyCrud } from '../kysely-crud.js'
import { createKyselyRoutes } from '../kysely-routes.js'
import { createPostgresDeliveries } from './postgres-deliveries.js'
import { ATTEMPTS_CHANNEL, listenForDueWork, listenOn, notifyPayloads } from './postgres-notify.js'
import { migratePostgres } from './postgres-migrate.js'
import { createPostgresPool, type PostgresPoolOptions } from './postgres-pool.js'
import { createPostgresSharedLimits } from './postgres-shared-limits.js'
import { createPostgresSources } from './postgres-sources.js'
import { createPostgresSeries } from './postgres-series.js'
import { createPostgresRetention } from './postgres-retention.js'

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505'
const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === UNIQUE_VIOLATION

/** Connections of the queue's pool (claims, settlements, released leases). */
const QUEUE_POOL_SIZE = 4

/**
 * The shared store: any number of nodes on one PostgreSQL. Opening connects and applies the
 * migrations not yet applied (under an advisory lock, see postgres-migrate.ts). CRUD goes through
 * Kysely exactly as on SQLite; the queue (publish, claim, settle) is in postgres-deliveries.ts.
 */
export async function openPostgresStore(opts: PostgresPoolOptions): Promise<Store> {
  const pool = createPostgresPool(opts)
  try {
    await migratePostgres(pool)
  } catch (err) {
    await pool.end()
    throw err
  }
  const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  // Claims, settlements and released leases commit without waiting for the WAL flush, as SQLite's
  // do (relaxed-commit.ts): a PostgreSQL crash may undo the last of them, which repeats deliveries
  // (at-least-once) but loses no accepted event. Publishes keep the durable pool. One dispatcher
  // claims and settles one batch at a time, so a few connections are enough.
  const queue = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPostgresPool({ url: opts.url, poolSize: QUEUE_POOL_SIZE, relaxedCommits: true, applicationName: 'hookrelay-queue' }) }) })
  const deliveries = createPostgresDeliveries(k, queue)
  const sources = createPostgresSources(k)

  const crud = createKyselyCrud(k, isUniqueViolation)

  return {
    dialect: 'postgres',
    ...deliveries,
    ...createPostgresSeries(k),
    ...sources,
    ...crud,
    ...createPostgresRetention(k),
    ...createKyselyRoutes(k, isUniqueViolation),
    onDueWork: (listener) => listenForDueWork(opts.url, listener),
    attemptNotices: {
      // Through the relaxed pool: a notice lost to a crash costs a live view one line.
      send: (payloads) => notifyPayloads(queue, ATTEMPTS_CHANNEL, payloads),
      listen: (onPayload) => listenOn(opts.url, ATTEMPTS_CHANNEL, onPayload),
    },
    sharedLimits: createPostgresSharedLimits(k),

    async close() {
      await queue.destroy()
      await k.destroy()
      // Kysely ends only a pool it has queried through: after a bare open (`hookrelay migrate`)
      // the migration's idle connection would hold the process for pg's idle timeout (10 s).
      if (!pool.ending) await pool.end()
    },
  }
}
