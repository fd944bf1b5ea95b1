// In-process CPU per event of the PostgreSQL store's hot path, on a database of its own: this
// process's CPU (process.cpuUsage around the store calls only) and the CPU of the PostgreSQL
// backends serving it (/proc/<pid>/stat of each, before and after), in us per event, for:
// - publish: groups of G plain publishes (no idempotency key, one delivery each, leased as the
//   in-memory hand-off leases them), one group at a time, as the publisher commits;
// - settle: those deliveries settled in batches of S (succeeded, with the attempt a 204 logs);
// - claim + settle: a backlog of unleased deliveries claimed 256 at a time and settled in batches
//   of S, as a drain does.
// Usage (from the repository root; PostgreSQL at BENCH_DATABASE_URL, default the local server):
//   npx tsx bench/pg-store-cost.ts [EVENTS=20000] [G=32] [S=60]
// The backends' CPU is read from /proc, so PostgreSQL must run on this machine; its figures
// move in steps of the kernel's tick (10 ms), hence the default of 20,000 events.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { newId } from '../src/core/ids.js'
import { openPostgresStore } from '../src/store/postgres/postgres-store.js'
import type { PublishItem, Store } from '../src/store/store.js'
import { endpointRecord } from '../test/helpers/records.js'
import { succeededSettlement } from './store-records.js'

const N = Number(process.argv[2] ?? 20_000)
const G = Number(process.argv[3] ?? 32)
const S = Number(process.argv[4] ?? 60)
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const PAYLOAD = JSON.stringify({ pad: 'x'.repeat(1010) })

/** CPU of this process and of the database's backends, in us, as a running total. */
async function meter(admin: pg.Client, db: string): Promise<() => Promise<{ node: number; pg: number }>> {
  const ticks = (pid: number): number => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return (Number(f[11]) + Number(f[12])) * 10_000
    } catch {
      return 0
    }
  }
  const backends = async () => (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db])).rows.map((r) => r.pid)
  return async () => {
    const c = process.cpuUsage()
    return { node: c.user + c.system, pg: (await backends()).reduce((sum, pid) => sum + ticks(pid), 0) }
  }
}

async function phase(read: () => Promise<{ node: number; pg: number }>, name: string, events: number, work: (timed: <T>(f: () => Promise<T>) => Promise<T>) => Promise<void>): Promise<void> {
  let node = 0
  const timed = async <T>(f: () => Promise<T>): Promise<T> => {
    const c0 = process.cpuUsage()
    try {
      return await f()
    } finally {
      const c = process.cpuUsage(c0)
      node += c.user + c.system
    }
  }
  const before = await read()
  await work(timed)
  const after = await read()
  console.log(`${name.padEnd(40)} node ${(node / events).toFixed(1).padStart(6)} us per event, PostgreSQL backends ${((after.pg - before.pg) / events).toFixed(1).padStart(6)} us per event`)
}

const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
const db = `hookrelay_cost_${randomBytes(4).toString('hex')}`
await admin.query(`CREATE DATABASE ${db}`)
let store: Store | null = null
try {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${db}`
  store = await openPostgresStore({ url: url.toString() })
  const s = store
  await s.createTenant({ id: 't', name: 't', metadata: {}, createdAt: 0, updatedAt: 0 })
  const ep = endpointRecord({ tenantId: 't', eventTypes: ['*'] })
  await s.createEndpoint(ep, { current: 'sealed', previous: [] })
  const read = await meter(admin, db)
  const group = (leaseOwner: string | null): PublishItem[] => {
    const now = Date.now()
    return Array.from({ length: G }, () => ({
      event: { id: newId('evt', now), tenantId: 't', type: 'bench', payloadJson: PAYLOAD, channels: [], idempotencyKey: null, occurredAt: now, createdAt: now, deliveryCount: 1 },
      deliveries: [{ id: newId('dlv', now), endpointId: ep.id, leaseOwner, nextAttemptAt: leaseOwner === null ? now : now + 60_000 }],
    }))
  }
  // Warm-up: JIT, the pools' connections.
  for (let i = 0; i < 20; i++) await s.publishBatch(group('node'), Date.now(), 86_400_000)

  const leased: string[] = []
  await phase(read, `publish, groups of ${G}, leased`, N, async (timed) => {
    for (let i = 0; i < N; i += G) {
      const items = group('node')
      await timed(() => s.publishBatch(items, Date.now(), 86_400_000))
      for (const it of items) leased.push(it.deliveries[0]!.id)
    }
  })
  await phase(read, `settle, batches of ${S}`, leased.length, async (timed) => {
    for (let i = 0; i < leased.length; i += S) {
      const batch = leased.slice(i, i + S).map((id) => succeededSettlement(id, ep.id, Date.now(), 'node'))
      await timed(() => s.settle(batch))
    }
  })
  await phase(read, `publish, groups of ${G}, unleased (notify)`, N, async (timed) => {
    for (let i = 0; i < N; i += G) {
      const items = group(null)
      await timed(() => s.publishBatch(items, Date.now(), 86_400_000))
    }
  })
  await phase(read, `claim 256 + settle, batches of ${S}`, N, async (timed) => {
    for (;;) {
      const claimed = await timed(() => s.claimDue({ owner: 'w', now: Date.now(), limit: 256, leaseMs: 60_000 }))
      if (claimed.length === 0) break
      for (let i = 0; i < claimed.length; i += S) {
        const batch = claimed.slice(i, i + S).map((d) => succeededSettlement(d.id, ep.id, Date.now(), 'w'))
        await timed(() => s.settle(batch))
      }
    }
  })
} finally {
  await store?.close()
  await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
  await admin.end()
}
