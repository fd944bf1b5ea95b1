import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { newId } from '../../core/ids.js'
import type { Attempt, Endpoint, StoredEvent } from '../../core/model.js'
import { postgresAvailable, type TestDatabase } from '../../../test/helpers/postgres.js'
import { useTwoNodes } from '../../../test/helpers/postgres-nodes.js'
import type { DueDelivery, PublishItem, Store } from '../store.js'

// Fifo endpoints with several nodes on one database: a publish on one node and the settlement of
// the endpoint's head on another, at the same moment, must leave exactly one delivery scheduled
// (the endpoint's lock, postgres-ordered.ts); without it each can miss the other's row.

const T0 = 1_800_000_000_000
const up = await postgresAvailable()

describe.skipIf(!up)('postgres: fifo endpoints across nodes', () => {
  let db: TestDatabase
  let a: Store
  let b: Store
  let ep: Endpoint
  useTwoNodes({ t0: T0, poolSize: 4 }, (n) => ({ db, a, b, ep } = n))

  function item(): PublishItem {
    const event: StoredEvent = { id: newId('evt'), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: null, occurredAt: T0, createdAt: T0, deliveryCount: 1 }
    return { event, deliveries: [{ id: newId('dlv'), endpointId: ep.id, leaseOwner: null, nextAttemptAt: T0, ordered: true }] }
  }
  function succeeded(d: DueDelivery) {
    const attempt: Attempt = {
      id: newId('att'), deliveryId: d.id, endpointId: ep.id, tenantId: 't1', attemptNumber: 1, trigger: 'scheduled', startedAt: T0, durationMs: 1,
      request: { method: 'POST', url: ep.url, headers: {}, body: '' }, response: { status: 200, headers: {}, body: '' }, error: null, success: true,
    }
    return { deliveryId: d.id, leaseOwner: 'B', claimedAttemptCount: 0, claimedTrigger: 'scheduled' as const, attempt, envelopeBody: false, ordered: true, status: 'succeeded' as const }
  }
  const scheduled = async (): Promise<number> => {
    const c = new pg.Client({ connectionString: db.url })
    await c.connect()
    try {
      return Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL`)).rows[0]!.n)
    } finally {
      await c.end()
    }
  }

  it('a publish on one node racing the head settled on another never strands the new delivery', async () => {
    await a.publishBatch([item()], T0, 86_400_000)
    let now = T0 + 1
    for (let round = 0; round < 40; round++) {
      const [head] = await b.claimDue({ owner: 'B', now, limit: 10, leaseMs: 60_000 })
      expect(head, `round ${round}: the endpoint's next delivery is due`).toBeDefined()
      // The head finishes on B while A publishes the next: one of the two must promote it.
      await Promise.all([b.settle([succeeded(head!)]), a.publishBatch([item()], now, 86_400_000)])
      expect(await scheduled()).toBe(1)
      now++
    }
  })
})
