import { describe, expect, it } from 'vitest'
import type { Endpoint } from '../core/model.js'
import { postgresAvailable, type TestDatabase } from '../../test/helpers/postgres.js'
import { useTwoNodes } from '../../test/helpers/postgres-nodes.js'
import { eventually } from '../../test/helpers/server.js'
import { openPostgresStore } from '../store/postgres/postgres-store.js'
import type { Store } from '../store/store.js'
import { SharedLimits } from './shared-limits.js'

// Two workers' limits on one PostgreSQL database, each with its own store, driven the way the
// dispatcher drives them: a queue per worker, tryStart() whenever something may have changed,
// finish() when an attempt ends.

const T0 = 1_800_000_000_000
const up = await postgresAvailable()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A worker with `jobs` attempts of `ms` each for one endpoint; `live` counts attempts under way in all workers. */
class FakeWorker {
  readonly limits: SharedLimits
  queued: number
  done = 0
  readonly starts: number[] = []
  private readonly finished: Promise<void>
  private resolve!: () => void

  constructor(store: Store, owner: string, private readonly endpointId: string, o: { jobs: number; ms: number; concurrency: number; rate: number | null; live: { now: number; peak: number }; slotTtlMs?: number }) {
    this.queued = o.jobs
    this.finished = new Promise((r) => (this.resolve = r))
    this.limits = new SharedLimits({
      store: store.sharedLimits!,
      owner,
      concurrency: o.concurrency,
      onChange: () => this.pump(),
      ...(o.slotTtlMs === undefined ? {} : { slotTtlMs: o.slotTtlMs }),
    })
    this.pump = () => {
      while (this.queued > 0 && this.limits.tryStart(this.endpointId, this.queued, o.rate)) {
        this.queued--
        this.starts.push(Date.now())
        o.live.now++
        o.live.peak = Math.max(o.live.peak, o.live.now)
        setTimeout(() => {
          o.live.now--
          this.done++
          this.limits.finish(this.endpointId)
          if (this.queued === 0 && this.done === o.jobs) this.resolve()
          this.pump()
        }, o.ms)
      }
    }
  }

  pump: () => void

  run(): Promise<void> {
    this.pump()
    return this.finished
  }
}

describe.skipIf(!up)('SharedLimits: per-endpoint limits across workers', () => {
  let db: TestDatabase
  let a: Store
  let b: Store
  let ep: Endpoint

  useTwoNodes({ t0: T0, poolSize: 4 }, (n) => ({ db, a, b, ep } = n))

  it('two busy workers never exceed the concurrency limit together, and both get a fair part', async () => {
    const live = { now: 0, peak: 0 }
    // Renewals (and so rebalancing) every 200 ms; either worker alone would take a second.
    const w1 = new FakeWorker(a, 'A', ep.id, { jobs: 100, ms: 40, concurrency: 4, rate: null, live, slotTtlMs: 2000 })
    const w2 = new FakeWorker(b, 'B', ep.id, { jobs: 100, ms: 40, concurrency: 4, rate: null, live, slotTtlMs: 2000 })
    try {
      await Promise.all([w1.run(), w2.run()])
    } finally {
      await Promise.all([w1.limits.close(), w2.limits.close()])
    }
    expect(live.peak).toBeLessThanOrEqual(4)
    expect(live.peak).toBeGreaterThanOrEqual(3)
    // Neither waited for the other to finish: their attempts overlapped in time.
    expect(Math.min(...w2.starts)).toBeLessThan(Math.max(...w1.starts))
    expect(Math.min(...w1.starts)).toBeLessThan(Math.max(...w2.starts))
  })

  it('two workers keep to one rate together', async () => {
    const live = { now: 0, peak: 0 }
    const w1 = new FakeWorker(a, 'A', ep.id, { jobs: 30, ms: 1, concurrency: 16, rate: 20, live })
    const w2 = new FakeWorker(b, 'B', ep.id, { jobs: 30, ms: 1, concurrency: 16, rate: 20, live })
    const started = Date.now()
    try {
      await Promise.all([w1.run(), w2.run()])
    } finally {
      await Promise.all([w1.limits.close(), w2.limits.close()])
    }
    // 60 sends at 20/s with a 20 burst take 2 s; each worker alone at 20/s would be done in 0.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1800)
    const all = [...w1.starts, ...w2.starts].sort((x, y) => x - y)
    const inFirstSecond = all.filter((t) => t < all[0]! + 1000).length
    expect(inFirstSecond).toBeLessThanOrEqual(42)
  })

  it("a worker that dies holding every slot gives them back when its rows expire", async () => {
    const dying = await openPostgresStore({ url: db.url, poolSize: 2 })
    const live = { now: 0, peak: 0 }
    const w1 = new FakeWorker(dying, 'A', ep.id, { jobs: 1000, ms: 10_000, concurrency: 4, rate: null, live, slotTtlMs: 1000 })
    void w1.run()
    await sleep(300)
    expect(w1.limits.slotsOf(ep.id)).toBe(4)
    // The process is gone: nothing renews its rows or gives its slots back.
    await dying.close()
    const w2 = new FakeWorker(b, 'B', ep.id, { jobs: 4, ms: 10, concurrency: 4, rate: null, live: { now: 0, peak: 0 }, slotTtlMs: 1000 })
    const started = Date.now()
    try {
      await w2.run()
    } finally {
      await Promise.all([w1.limits.close(), w2.limits.close()])
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect(w2.done).toBe(4)
  })

  it('an idle worker gives its slots back, so the other may use them all', async () => {
    const live = { now: 0, peak: 0 }
    const w1 = new FakeWorker(a, 'A', ep.id, { jobs: 8, ms: 5, concurrency: 4, rate: null, live, slotTtlMs: 1000 })
    await w1.run()
    const w2 = new FakeWorker(b, 'B', ep.id, { jobs: 4, ms: 300, concurrency: 4, rate: null, live, slotTtlMs: 1000 })
    await sleep(400) // past the idle time: w1 has released
    try {
      await w2.run()
      expect(w2.limits.slotsOf(ep.id)).toBe(4)
    } finally {
      await Promise.all([w1.limits.close(), w2.limits.close()])
    }
    expect(live.peak).toBe(4)
  })
})

describe('SharedLimits bookkeeping (a store in memory whose answers the test times)', () => {
  /** A store granting whatever is wanted; releases wait until the test lets them go. */
  function fakeStore() {
    const renewedIds: string[][] = []
    let letGo: (() => void) | null = null
    let releases = 0
    let hold = true
    const store = {
      async shareSlots({ want }: { want: number }) {
        return { granted: want, share: want }
      },
      async setSlots() {},
      async renewSlots(_owner: string, ids: readonly string[]) {
        renewedIds.push([...ids])
        return ids.map((endpointId) => ({ endpointId, contended: false }))
      },
      releaseSlots: () => {
        releases++
        return hold ? new Promise<void>((r) => (letGo = r)) : Promise.resolve()
      },
      async takeTokens() {
        return { granted: 0, tokens: 0 }
      },
    }
    return {
      store,
      renewedIds,
      release: () => letGo?.(),
      releases: () => releases,
      /** Releases from now on go through at once. */
      stopHolding: () => {
        hold = false
        letGo?.()
      },
    }
  }

  it('starts nothing on slots whose row is being given back, and asks anew afterwards', async () => {
    const f = fakeStore()
    const limits = new SharedLimits({ store: f.store, owner: 'A', concurrency: 4, onChange: () => {}, slotTtlMs: 200 })
    try {
      expect(limits.tryStart('e', 1, null)).toBe(false) // asks
      await eventually(async () => limits.tryStart('e', 1, null))
      limits.finish('e')
      // Idle for longer than 40 ms: the next tick gives the row back, and the release hangs.
      await eventually(async () => f.releases() > 0, 2000)
      expect(limits.tryStart('e', 1, null)).toBe(false)
      expect(limits.slotsOf('e')).toBe(0)
      f.release()
      await eventually(async () => limits.tryStart('e', 1, null), 2000)
    } finally {
      f.stopHolding()
      await limits.close()
    }
  })

  it('renews only the rows of endpoints it still tracks', async () => {
    const f = fakeStore()
    const limits = new SharedLimits({ store: f.store, owner: 'A', concurrency: 4, onChange: () => {}, slotTtlMs: 200 })
    try {
      limits.tryStart('e', 1, null)
      await eventually(async () => f.renewedIds.some((ids) => ids.includes('e')), 2000)
      await eventually(async () => f.releases() > 0, 2000)
      f.release()
      const after = f.renewedIds.length
      await eventually(async () => f.renewedIds.length > after + 2, 2000)
      expect(f.renewedIds.slice(after + 1).every((ids) => !ids.includes('e'))).toBe(true)
    } finally {
      f.stopHolding()
      await limits.close()
    }
  })
})
