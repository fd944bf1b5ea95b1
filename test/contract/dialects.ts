/**
 * The dialects the Store contract runs against: SQLite always, PostgreSQL when it can be reached
 * (under CI=true it must be; see test/helpers/postgres.ts). Each test gets a store over empty
 * tables: SQLite a fresh directory, PostgreSQL one database per test file, emptied after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest'
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js'
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js'
import type { Store } from '../../src/store/store.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/postgres.js'

export interface ContractDialect {
  name: string
  /** Why this dialect does not run here, or null. */
  skip: string | null
  /** Once per file, before its tests (beforeAll). */
  setup(): Promise<void>
  /** A store over empty tables. */
  open(): Promise<Store>
  /** Closes a store from open() and empties what it wrote. */
  close(store: Store): Promise<void>
  /** Once per file, after its tests (afterAll). */
  teardown(): Promise<void>
}

function sqliteDialect(name: string, synchronous: 'NORMAL' | 'FULL'): ContractDialect {
  const dirs = new Map<Store, string>()
  return {
    name,
    skip: null,
    async setup() {},
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'hookrelay-contract-'))
      const store = openSqliteStore({ dataDir: dir, synchronous })
      dirs.set(store, dir)
      return store
    },
    async close(store) {
      await store.close()
      rmSync(dirs.get(store)!, { recursive: true, force: true })
      dirs.delete(store)
    },
    async teardown() {},
  }
}

/** Every table the migrations make, but schema_migrations: emptied between tests. */
const TABLES = [
  'settings',
  'tenants',
  'api_keys',
  'event_types',
  'endpoints',
  'events',
  'idempotency_keys',
  'deliveries',
  'attempts',
  'sources',
  'source_requests',
  'source_idempotency',
  'portal_sessions',
]

export function postgresDialect(skip: string | null): ContractDialect {
  let db: TestDatabase | null = null
  let cleaner: pg.Client | null = null
  return {
    name: 'postgres',
    skip,
    async setup() {
      db = await createTestDatabase()
      cleaner = new pg.Client({ connectionString: db.url })
      await cleaner.connect()
    },
    async open() {
      return openPostgresStore({ url: db!.url, poolSize: 4 })
    },
    async close(store) {
      await store.close()
      // DELETE, not TRUNCATE: on a few rows it is several times faster (TRUNCATE makes new files
      // for every table and index). One statement per table, children first for the foreign keys.
      await cleaner!.query(`${[...TABLES].reverse().map((t) => `DELETE FROM ${t}`).join('; ')}`)
    },
    async teardown() {
      await cleaner?.end()
      await db?.drop()
    },
  }
}

/**
 * The dialects to run, PostgreSQL marked skipped (with the reason) when it cannot be reached.
 * `sqliteFull` adds SQLite with synchronous=FULL, which takes another publish path (commit, then a
 * flush of the WAL before answering): only the queue's tests need it. Default false.
 */
export async function contractDialects(opts: { sqliteFull?: boolean } = {}): Promise<ContractDialect[]> {
  const pgUp = await postgresAvailable()
  return [
    sqliteDialect('sqlite', 'NORMAL'),
    ...(opts.sqliteFull === true ? [sqliteDialect('sqlite (synchronous FULL)', 'FULL')] : []),
    postgresDialect(pgUp ? null : 'PostgreSQL cannot be reached'),
  ]
}

/** A describe block for one dialect; where the dialect cannot run here it is skipped, saying why. */
export function describeDialect(dialect: ContractDialect, title: string, body: () => void): void {
  const describeIt = dialect.skip === null ? describe : describe.skip
  describeIt(`${dialect.name}: ${title}${dialect.skip === null ? '' : ` (skipped: ${dialect.skip})`}`, body)
}

/**
 * The store lifecycle of a contract suite: before each test a store over empty tables, with
 * tenants t1 and t2 created at `at`, handed to `use`; closed after each test.
 */
export function useDialectStore(dialect: ContractDialect, at: number, use: (store: Store) => void): void {
  let store: Store
  beforeAll(() => dialect.setup())
  afterAll(() => dialect.teardown())
  beforeEach(async () => {
    store = await dialect.open()
    for (const id of ['t1', 't2']) await store.createTenant({ id, name: id, metadata: {}, createdAt: at, updatedAt: at })
    use(store)
  })
  afterEach(() => dialect.close(store))
}
