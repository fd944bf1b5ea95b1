// In-process cost of the SQLite store's writes per event, on the real store (synchronous=FULL):
// publishes in groups of 32 (one endpoint, a 900-byte payload, each event one delivery leased as
// by the hand-off) and their settlements, one attempt each, in batches of 64. Reports
//   - CPU of the main thread per event for the publishes and per settlement for the settles
//     (/proc/self/task/<pid>/schedstat around each call: the checkpointer thread and libuv's
//     fdatasync run beside it and are not the main thread's),
//   - WAL bytes written per event for publish and per settlement for settle (frames x page size),
//     in a second pass that holds a read transaction open so the WAL can only grow: bytes written
//     is a load-independent proxy for what the commits and the checkpoints that copy them cost.
// VARIANTS (names from VARIANT_SQL below) run side by side, each on a fresh database of its own,
// their publish groups taken in turn, so that a change of the machine's load hits them alike. Usage (repository root):
//   npx tsx bench/publish-cost.ts [EVENTS=20000] [ROUNDS=3] [VARIANTS=base,...]
// A variant named before:NAME runs the store of another checkout (PUBLISH_COST_BEFORE=its path, say
// a worktree of main), with its own migrations, in the same process: before and after side by side.
// Data goes to temporary directories, removed after, also when a variant fails or the run is stopped.
import BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newId } from '../src/core/ids.js'
import * as thisMigrate from '../src/store/sqlite/sqlite-migrate.js'
import * as thisStore from '../src/store/sqlite/sqlite-store.js'
import type { PublishItem, Settlement, Store } from '../src/store/store.js'
import { endpointRecord } from '../test/helpers/records.js'
import { succeededSettlement } from './store-records.js'

const N = Number(process.argv[2] ?? 20_000)
const ROUNDS = Number(process.argv[3] ?? 3)
const VARIANTS = (process.argv[4] ?? 'base').split(',')
const GROUP = 32
const SETTLE_BATCH = 64
// Under the 32 MiB auto-checkpoint mark with the WAL pinned (a few KiB per event).
const WAL_EVENTS = Math.min(N, 3_200)
const PAYLOAD = JSON.stringify({ pad: 'x'.repeat(888) }) // 900 bytes

// Schema changes applied to a scratch database after its migrations, to price one B-tree or check.
const VARIANT_SQL: Record<string, string> = {
  base: '',
  // The schema before 0013_retention_by_id.
  'with-events_created': 'CREATE INDEX IF NOT EXISTS events_created ON events(created_at)',
  'no-events_created': 'DROP INDEX IF EXISTS events_created',
  'no-events_tenant': 'DROP INDEX events_tenant',
  'no-events_tenant_type': 'DROP INDEX events_tenant_type',
  'no-deliveries_tenant': 'DROP INDEX deliveries_tenant',
  'no-deliveries_event': 'DROP INDEX deliveries_event',
  'no-deliveries_endpoint': 'DROP INDEX deliveries_endpoint',
  'no-attempts_endpoint_time': 'DROP INDEX attempts_endpoint_time',
  'no-event-indexes': 'DROP INDEX IF EXISTS events_created; DROP INDEX events_tenant; DROP INDEX events_tenant_type',
  // attempts as a rowid table, appended in time order, with a unique (delivery_id, id) index.
  'attempts-rowid': `CREATE TABLE attempts_new (
      id TEXT NOT NULL, delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE, endpoint_id TEXT NOT NULL,
      tenant_id TEXT NOT NULL, attempt_number INTEGER NOT NULL, trigger TEXT NOT NULL, started_at INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL, request_method TEXT NOT NULL, request_url TEXT NOT NULL, request_headers TEXT NOT NULL,
      request_body TEXT, response_status INTEGER, response_headers TEXT, response_body TEXT, error_kind TEXT, error_message TEXT,
      success INTEGER NOT NULL);
    DROP TABLE attempts; ALTER TABLE attempts_new RENAME TO attempts;
    CREATE UNIQUE INDEX attempts_delivery ON attempts(delivery_id, id);
    CREATE INDEX attempts_endpoint_time ON attempts(endpoint_id, started_at);`,
}

// Every scratch directory not yet removed: an error anywhere (a variant's SQL, a store that will not
// open, a step that throws) or a signal must not leave them behind in the temp dir.
const scratch = new Set<string>()
const removeScratch = (): void => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
  scratch.clear()
}
process.on('exit', removeScratch)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))

/** Nanoseconds this thread (the main one) has run, from the scheduler's own count. */
const mainThreadNs = (): number => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0])

interface Bench {
  store: Store
  endpointId: string
  waiting: Settlement[]
  publishNs: number
  settleNs: number
  publishWal: number
  settleWal: number
  walSize: () => number
  close: () => Promise<void>
}

/** A fresh store on a scratch database with the variant's schema; `pinWal`: see the header. */
async function open(name: string, pinWal: boolean): Promise<Bench> {
  const before = name.startsWith('before:')
  const variant = before ? name.slice('before:'.length) : name
  const tree = process.env.PUBLISH_COST_BEFORE
  if (before && tree === undefined) throw new Error('before: variants need PUBLISH_COST_BEFORE')
  const { migrateSqlite } = before ? ((await import(`${tree}/src/store/sqlite/sqlite-migrate.ts`)) as typeof thisMigrate) : thisMigrate
  const { openSqliteStore } = before ? ((await import(`${tree}/src/store/sqlite/sqlite-store.ts`)) as typeof thisStore) : thisStore
  const sql = VARIANT_SQL[variant]
  if (sql === undefined) throw new Error(`unknown variant ${variant}: one of ${Object.keys(VARIANT_SQL).join(', ')}`)
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-publish-cost-'))
  scratch.add(dir)
  const path = join(dir, 'hookrelay.db')
  let prep: BetterSqlite3.Database | null = null
  let store: Store | null = null
  let pin: BetterSqlite3.Database | null = null
  // Closes what is open and removes the directory; on success as on a failure half-way.
  const close = async (): Promise<void> => {
    try {
      prep?.close()
      pin?.close()
      await store?.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
      scratch.delete(dir)
    }
  }
  try {
    // The schema as the store makes it, then the variant's change, before the store opens it.
    prep = new BetterSqlite3(path)
    prep.pragma('page_size = 8192')
    prep.pragma('journal_mode = WAL')
    migrateSqlite(prep)
    prep.exec(sql)
    prep.close()
    prep = null
    store = openSqliteStore({ dataDir: dir, synchronous: 'FULL' })
    await store.createTenant({ id: 't', name: 't', metadata: {}, createdAt: 0, updatedAt: 0 })
    const ep = endpointRecord({ tenantId: 't', eventTypes: ['*'] })
    await store.createEndpoint(ep, { current: 'sealed', previous: [] })
    // A read transaction open from here on: no checkpoint can pass it, so the WAL never restarts.
    pin = pinWal ? new BetterSqlite3(path, { readonly: true }) : null
    pin?.exec('BEGIN')
    pin?.prepare('SELECT count(*) FROM tenants').get()
    const wal = `${path}-wal`
    return {
      store, endpointId: ep.id, waiting: [], publishNs: 0, settleNs: 0, publishWal: 0, settleWal: 0,
      walSize: () => (pinWal ? statSync(wal).size : 0),
      close,
    }
  } catch (err) {
    await close().catch(() => {})
    throw err
  }
}

/** One publish group into `b`, and its settle batch when one is full: timed, the WAL measured. */
async function step(b: Bench): Promise<void> {
  const now = Date.now()
  const items: PublishItem[] = Array.from({ length: GROUP }, () => ({
    event: { id: newId('evt', now), tenantId: 't', type: 'bench', payloadJson: PAYLOAD, channels: [], idempotencyKey: null, occurredAt: now, createdAt: now, deliveryCount: 1 },
    deliveries: [{ id: newId('dlv', now), endpointId: b.endpointId, leaseOwner: 'node', nextAttemptAt: now + 30_000 }],
  }))
  let w = b.walSize()
  let t = mainThreadNs()
  const outcomes = await b.store.publishBatch(items, now, 86_400_000)
  b.publishNs += mainThreadNs() - t
  b.publishWal += b.walSize() - w
  if (outcomes.some((o) => o.kind !== 'created' || o.deliveryIds.length !== 1)) throw new Error('a publish made no delivery')
  for (const it of items) {
    const id = it.deliveries[0]!.id
    b.waiting.push(succeededSettlement(id, b.endpointId, now, 'node'))
  }
  if (b.waiting.length < SETTLE_BATCH) return
  w = b.walSize()
  t = mainThreadNs()
  const applied = await b.store.settle(b.waiting.splice(0, b.waiting.length))
  if (applied.includes(false)) throw new Error('a settlement lost its lease: the bench would time the wrong path')
  b.settleNs += mainThreadNs() - t
  b.settleWal += b.walSize() - w
}

const f = (x: number): string => x.toFixed(1).padStart(7)
console.log(`${N} events a round (WAL pass ${WAL_EVENTS}), groups of ${GROUP}, settle batches of ${SETTLE_BATCH}, ${ROUNDS} rounds`)
console.log('The variants run side by side: one store each, their publish groups taken in turn (order rotated),')
console.log('so that a change of load hits them alike. Main thread us of CPU per event (publish) and per settlement.')
console.log(`variant                      ${'publish'.padStart(7)} ${'settle'.padStart(7)}   WAL bytes: publish  settle`)
// WAL bytes do not depend on load: one pass each, under the auto-checkpoint mark.
const walBytes = new Map<string, { publish: number; settle: number }>()
for (const v of VARIANTS) {
  const b = await open(v, true)
  for (let i = 0; i < WAL_EVENTS; i += GROUP) await step(b)
  walBytes.set(v, { publish: b.publishWal / WAL_EVENTS, settle: b.settleWal / WAL_EVENTS })
  await b.close()
}
for (let r = 0; r < ROUNDS; r++) {
  const benches = await Promise.all(VARIANTS.map((v) => open(v, false)))
  // A warm-up of 64 groups each, not counted.
  for (let i = 0; i < 64; i++) for (const b of benches) await step(b)
  for (const b of benches) Object.assign(b, { publishNs: 0, settleNs: 0 })
  for (let i = 0, k = 0; i < N; i += GROUP, k++) {
    for (let j = 0; j < benches.length; j++) await step(benches[(j + k) % benches.length]!)
  }
  for (const [j, b] of benches.entries()) {
    const v = VARIANTS[j]!
    const w = walBytes.get(v)!
    console.log(`${v.padEnd(28)} ${f(b.publishNs / 1000 / N)} ${f(b.settleNs / 1000 / N)}   ${f(w.publish)}           ${f(w.settle)}`)
    await b.close()
  }
}
