// In-process CPU per settlement on the real SQLite store (attempt row, delivery UPDATE, commit),
// by settle batch size: publishes go in groups of 10 (each event one delivery, leased as by the
// hand-off), and every time K settlements are waiting they are written in one store.settle().
// Only the settle calls are timed (process.cpuUsage), so the figure moves less with the machine's
// load than the bench's rates do. Usage (from the repository root):
//   npx tsx bench/settle-cost.ts [SETTLEMENTS=20000] [K,K,...=10,20,30,120]
// A batch is at least one publish group (10). Data goes to a temporary directory, removed after.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newId } from '../src/core/ids.js'
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js'
import type { PublishItem, Settlement } from '../src/store/store.js'
import { endpointRecord } from '../test/helpers/records.js'
import { succeededSettlement } from './store-records.js'

const N = Number(process.argv[2] ?? 20_000)
const SIZES = (process.argv[3] ?? '10,20,30,120').split(',').map(Number)
const GROUP = 10
const PAYLOAD = JSON.stringify({ pad: 'x'.repeat(1010) })

async function usPerSettlement(batch: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-settle-cost-'))
  const store = openSqliteStore({ dataDir: dir, synchronous: 'FULL' })
  try {
    await store.createTenant({ id: 't', name: 't', metadata: {}, createdAt: 0, updatedAt: 0 })
    const ep = endpointRecord({ tenantId: 't', eventTypes: ['*'] })
    await store.createEndpoint(ep, { current: 'sealed', previous: [] })
    const waiting: Settlement[] = []
    let cpuUs = 0
    for (let i = 0; i < N; i += GROUP) {
      const now = Date.now()
      const items: PublishItem[] = Array.from({ length: GROUP }, () => ({
        event: { id: newId('evt', now), tenantId: 't', type: 'bench', payloadJson: PAYLOAD, channels: [], idempotencyKey: null, occurredAt: now, createdAt: now, deliveryCount: 1 },
        deliveries: [{ id: newId('dlv', now), endpointId: ep.id, leaseOwner: 'node', nextAttemptAt: now + 30_000 }],
      }))
      await store.publishBatch(items, now, 86_400_000)
      for (const it of items) {
        const id = it.deliveries[0]!.id
        waiting.push(succeededSettlement(id, ep.id, now, 'node'))
      }
      if (waiting.length < batch) continue
      const c0 = process.cpuUsage()
      await store.settle(waiting.splice(0, waiting.length))
      const c = process.cpuUsage(c0)
      cpuUs += c.user + c.system
    }
    return cpuUs / N
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

for (const k of SIZES) console.log(`settle batches of ${Math.max(k, GROUP)}: ${(await usPerSettlement(k)).toFixed(1)} us of CPU per settlement`)
