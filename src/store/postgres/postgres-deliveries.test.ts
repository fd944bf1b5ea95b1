import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { newId } from '../../core/ids.js'
import type { Attempt, Endpoint, StoredEvent } from '../../core/model.js'
import { postgresAvailable, type TestDatabase } from '../../../test/helpers/postgres.js'
import { useTwoNodes } from '../../../test/helpers/postgres-nodes.js'
import type { PublishItem, PublishOutcome, Settlement, Store } from '../store.js'
import { endpointRecord } from '../../../test/helpers/records.js'

// What only PostgreSQL has: several nodes (here two stores, each its own pool, as two worker
// processes would have) on one database.

const T0 = 1_800_000_000_000
const up = await postgresAvailable()

describe.skipIf(!up)('postgres: several nodes on one database', () => {
  let db: TestDatabase
  let a: Store
  let b: Store
  let ep: Endpoint

  useTwoNodes({ t0: T0, poolSize: 4 }, (n) => ({ db, a, b, ep } = n))

  function item(key: string | null = null): PublishItem {
    const event: StoredEvent = { id: newId('evt'), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: key, occurredAt: T0, createdAt: T0, deliveryCount: 1 }
    return { event, deliveries: [{ id: newId('dlv'), endpointId: ep.id, leaseOwner: null, nextAttemptAt: T0 }] }
  }
  function settlement(deliveryId: string, owner: string): Settlement {
    const attempt: Attempt = {
      id: newId('att'),
      deliveryId,
      endpointId: ep.id,
      tenantId: 't1',
      attemptNumber: 1,
      trigger: 'scheduled',
      startedAt: T0,
      durationMs: 1,
      request: { method: 'POST', url: ep.url, headers: {}, body: owner },
      response: { status: 200, headers: {}, body: '' },
      error: null,
      success: true,
    }
    return { deliveryId, leaseOwner: owner, claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt, envelopeBody: false, status: 'succeeded' }
  }

  it('workers claiming the same backlog at once never get the same delivery', async () => {
    const backlog = 600
    const items = Array.from({ length: backlog }, () => item())
    await a.publishBatch(items, T0, 86_400_000)
    const got = new Map<string, string[]>([['A', []], ['B', []]])
    // Each store claims with several calls at once (its pool has 4 connections), round after round.
    for (;;) {
      const rounds = await Promise.all(
        [a, a, a, b, b, b].map(async (s, i) => {
          const owner = s === a ? 'A' : 'B'
          const claimed = await s.claimDue({ owner, now: T0 + 1, limit: 25 + i, leaseMs: 60_000 })
          got.get(owner)!.push(...claimed.map((d) => d.id))
          return claimed.length
        }),
      )
      if (rounds.every((n) => n === 0)) break
    }
    const all = [...got.get('A')!, ...got.get('B')!]
    expect(all).toHaveLength(backlog)
    expect(new Set(all).size).toBe(backlog)
    expect(new Set(all)).toEqual(new Set(items.map((i) => i.deliveries[0]!.id)))
    expect(got.get('A')!.length).toBeGreaterThan(0)
    expect(got.get('B')!.length).toBeGreaterThan(0)
  })

  it('a worker whose lease expired and was claimed by another settles nothing; the new owner settles', async () => {
    const it1 = item()
    await a.publishBatch([it1], T0, 86_400_000)
    const id = it1.deliveries[0]!.id
    expect(await a.claimDue({ owner: 'A', now: T0, limit: 10, leaseMs: 1000 })).toMatchObject([{ id }])
    // A stalls past its lease; B finds the delivery due again.
    expect(await b.claimDue({ owner: 'B', now: T0 + 999, limit: 10, leaseMs: 1000 })).toEqual([])
    expect(await b.claimDue({ owner: 'B', now: T0 + 1000, limit: 10, leaseMs: 30_000 })).toMatchObject([{ id }])

    expect(await a.settle([settlement(id, 'A')])).toEqual([false])
    // Unchanged: still pending and leased to B until its lease ends, so no one else claims it.
    expect(await a.getDelivery('t1', id)).toMatchObject({ status: 'pending', attemptCount: 0, nextAttemptAt: T0 + 31_000 })
    expect(await a.claimDue({ owner: 'A', now: T0 + 30_999, limit: 10, leaseMs: 1000 })).toEqual([])

    expect(await b.settle([settlement(id, 'B')])).toEqual([true])
    expect(await a.getDelivery('t1', id)).toMatchObject({ status: 'succeeded', attemptCount: 1 })
    // Both attempts happened, so both are logged.
    expect((await a.listAttempts(id)).map((x) => x.request.body).sort()).toEqual(['A', 'B'])
  })

  it('two nodes publishing one idempotency key at once make one event', async () => {
    const results = await Promise.all([a.publishBatch([item('same')], T0, 86_400_000), b.publishBatch([item('same')], T0, 86_400_000)])
    const kinds = results.map(([o]) => o!.kind).sort()
    expect(kinds).toEqual(['created', 'duplicate'])
    const created = results.flat().find((o) => o.kind === 'created')!
    const duplicate = results.flat().find((o) => o.kind === 'duplicate')!
    expect(duplicate).toMatchObject({ event: { id: (created as { event: StoredEvent }).event.id } })
    expect(await a.pendingCount()).toBe(1)
  })

  it('a publish meeting a key another node is writing waits for its commit and answers its event', async () => {
    const held = item('held')
    const other = new pg.Client({ connectionString: db.url })
    await other.connect()
    try {
      await other.query('BEGIN')
      await other.query(
        `INSERT INTO events (id, tenant_id, type, payload, channels, idempotency_key, occurred_at, created_at, delivery_count)
         VALUES ($1, 't1', 'a.b', '{}', '[]', 'held', $2, $2, 0)`,
        [held.event.id, T0],
      )
      await other.query(`INSERT INTO idempotency_keys (tenant_id, key, event_id, created_at) VALUES ('t1', 'held', $1, $2)`, [held.event.id, T0])
      let answered = false
      const pending = b.publishBatch([item('held')], T0, 86_400_000).finally(() => (answered = true))
      await new Promise((r) => setTimeout(r, 200))
      expect(answered).toBe(false)
      await other.query('COMMIT')
      expect(await pending).toMatchObject([{ kind: 'duplicate', event: { id: held.event.id, deliveryCount: 0 } }])
    } finally {
      await other.end()
    }
  })

  it('wakes the other nodes when work becomes due for any of them, and not for work leased in memory', async () => {
    let woken = 0
    const stop = await b.onDueWork!(() => woken++)
    try {
      const waitForWake = async (before: number) => {
        for (let i = 0; i < 100 && woken === before; i++) await new Promise((r) => setTimeout(r, 20))
        return woken > before
      }
      // Leased to its own node in the publish: nobody else needs to hear of it.
      const leased = item()
      leased.deliveries[0]!.leaseOwner = 'node-a'
      await a.publishBatch([leased], T0, 0)
      await new Promise((r) => setTimeout(r, 200))
      expect(woken).toBe(0)
      // Unleased: due for whoever claims first.
      await a.publishBatch([item()], T0, 0)
      expect(await waitForWake(0)).toBe(true)
      // A release hands leased work back to everyone.
      const n = woken
      expect(await a.releaseLeases('node-a', null, T0)).toBe(1)
      expect(await waitForWake(n)).toBe(true)
    } finally {
      await stop()
    }
  })

  /** Node b listening, as an idle worker does: how often it was woken, and a wait for the next wake. */
  async function listenOnB() {
    let woken = 0
    const stop = await b.onDueWork!(() => woken++)
    return {
      stop,
      /** True if a wake comes within 2 s; the store alone has no timer, so only a NOTIFY can wake. */
      async wakes(action: () => Promise<unknown>): Promise<boolean> {
        const before = woken
        await action()
        for (let i = 0; i < 100 && woken === before; i++) await new Promise((r) => setTimeout(r, 20))
        return woken > before
      },
      /** True if no wake comes within 300 ms of the action. */
      async quiet(action: () => Promise<unknown>): Promise<boolean> {
        const before = woken
        await action()
        await new Promise((r) => setTimeout(r, 300))
        return woken === before
      },
    }
  }
  /** A delivery leased to node A in its publish (no one else is told of it), as a worker's own publish makes. */
  async function leasedToA(): Promise<string> {
    const it1 = item()
    it1.deliveries[0]!.leaseOwner = 'A'
    await a.publishBatch([it1], T0, 60_000)
    return it1.deliveries[0]!.id
  }
  const failed = (id: string): Settlement => ({ ...settlement(id, 'A'), status: 'failed' })
  /** The item with its deliveries leased to `owner` in the publish, as a worker's hand-off does. */
  const lease = (it: PublishItem, owner: string): PublishItem => ({ ...it, deliveries: it.deliveries.map((d) => ({ ...d, leaseOwner: owner, nextAttemptAt: T0 + 60_000 })) })

  it('a group without keys or fifo endpoints (one statement) wakes the others only if it wrote a delivery no node leased', async () => {
    const l = await listenOnB()
    try {
      const off = endpointRecord({ tenantId: 't1', createdAt: T0, updatedAt: T0 })
      await a.createEndpoint(off, { current: 'sealed', previous: [] })
      await a.updateEndpoint('t1', off.id, { enabled: false }, T0)
      // Leased to A for the live endpoint, unleased for one disabled since the fan-out: only the
      // leased delivery is written, so there is nothing for anyone else to claim.
      const mixed = lease(item(), 'A')
      mixed.deliveries.push({ id: newId('dlv'), endpointId: off.id, leaseOwner: null, nextAttemptAt: T0 })
      const leased = lease(item(), 'A')
      let out: PublishOutcome[] = []
      expect(await l.quiet(async () => (out = await a.publishBatch([mixed, leased], T0, 86_400_000)))).toBe(true)
      expect(out).toMatchObject([{ kind: 'created', event: { deliveryCount: 1 }, deliveryIds: [mixed.deliveries[0]!.id] }, { kind: 'created' }])
      // Answered after its commit: another connection sees both events and the leased delivery.
      const other = new pg.Client({ connectionString: db.url })
      await other.connect()
      try {
        const seen = await other.query(`SELECT (SELECT count(*) FROM events WHERE id = ANY($1))::int AS e, (SELECT count(*) FROM deliveries WHERE id = ANY($2))::int AS d`, [
          [mixed.event.id, leased.event.id],
          [...mixed.deliveries, ...leased.deliveries].map((d) => d.id),
        ])
        expect(seen.rows[0]).toEqual({ e: 2, d: 2 })
      } finally {
        await other.end()
      }
      // One unleased delivery among leased ones: one wake, and it is claimable by any node.
      const unleased = item()
      expect(await l.wakes(() => a.publishBatch([item(), unleased, item()].map((it, i) => (i === 1 ? it : lease(it, 'A'))), T0, 86_400_000))).toBe(true)
      expect((await b.claimDue({ owner: 'B', now: T0 + 1, limit: 10, leaseMs: 1000 })).map((d) => d.id)).toEqual([unleased.deliveries[0]!.id])
    } finally {
      await l.stop()
    }
  })

  it("wakes the other nodes when a worker's settlement schedules a retry, and not when it closes the delivery", async () => {
    const l = await listenOnB()
    try {
      const [retried, closed] = [await leasedToA(), await leasedToA()]
      expect(await l.quiet(async () => expect(await a.settle([settlement(closed, 'A')])).toEqual([true]))).toBe(true)
      // The retry is due later for whichever worker is idle then, maybe not this one: b must arm its timer.
      const retry: Settlement = { ...settlement(retried, 'A'), status: 'pending', nextAttemptAt: T0 + 5_000 }
      expect(await l.wakes(async () => expect(await a.settle([retry])).toEqual([true]))).toBe(true)
      expect(await a.getDelivery('t1', retried)).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 5_000, attemptCount: 1 })
    } finally {
      await l.stop()
    }
  })

  it('wakes the workers when a manual retry (on an api node) makes a delivery due', async () => {
    const l = await listenOnB()
    try {
      const id = await leasedToA()
      expect(await l.quiet(async () => expect(await a.settle([failed(id)])).toEqual([true]))).toBe(true)
      expect(await l.wakes(async () => expect(await a.requeueManual('t1', id, T0 + 1)).toBe(true))).toBe(true)
      expect(await b.claimDue({ owner: 'B', now: T0 + 1, limit: 10, leaseMs: 1000 })).toMatchObject([{ id, trigger: 'manual' }])
      // An unknown delivery changes nothing and wakes no one.
      expect(await l.quiet(async () => expect(await a.requeueManual('t1', 'dlv_unknown', T0 + 1)).toBe(false))).toBe(true)
    } finally {
      await l.stop()
    }
  })

  it("wakes the workers when recovering an endpoint's failed deliveries makes them due", async () => {
    const l = await listenOnB()
    try {
      const ids = [await leasedToA(), await leasedToA()]
      expect(await l.quiet(async () => expect(await a.settle(ids.map(failed))).toEqual([true, true]))).toBe(true)
      expect(await l.wakes(async () => expect(await a.recoverFailed('t1', ep.id, T0, T0 + 1)).toBe(2))).toBe(true)
      expect((await b.claimDue({ owner: 'B', now: T0 + 1, limit: 10, leaseMs: 1000 })).map((d) => d.id).sort()).toEqual([...ids].sort())
      // Nothing left to recover: no one is woken.
      expect(await l.quiet(async () => expect(await a.recoverFailed('t1', ep.id, T0, T0 + 2)).toBe(0))).toBe(true)
    } finally {
      await l.stop()
    }
  })

  it('parses int8 to numbers in its own pools only, leaving pg\'s global parsers alone', async () => {
    expect(await a.pendingCount()).toBe(0)
    expect(pg.types.getTypeParser(20, 'text')('12')).toBe('12')
  })
})
