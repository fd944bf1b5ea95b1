import { describe, expect, it } from 'vitest'
import type { Endpoint } from '../../core/model.js'
import { postgresAvailable } from '../../../test/helpers/postgres.js'
import { useTwoNodes } from '../../../test/helpers/postgres-nodes.js'
import { endpointRecord } from '../../../test/helpers/records.js'
import type { SharedLimitStore, Store } from '../store.js'

// Slots and token buckets shared by workers: two stores, each with its own pool as two worker
// processes would have, on one database.

const T0 = 1_800_000_000_000
const up = await postgresAvailable()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(!up)('postgres: endpoint limits shared by workers', () => {
  let a: Store
  let b: Store
  let sa: SharedLimitStore
  let sb: SharedLimitStore
  let ep: Endpoint

  useTwoNodes({ t0: T0, poolSize: 8 }, (n) => {
    ;({ a, b, ep } = n)
    sa = a.sharedLimits!
    sb = b.sharedLimits!
  })

  const share = (s: SharedLimitStore, owner: string, want: number, running = 0, ttlMs = 60_000) =>
    s.shareSlots({ owner, endpointId: ep.id, limit: 16, want, running, ttlMs })

  it('grants what is wanted while it is free, then splits the limit fairly as others ask', async () => {
    expect(await share(sa, 'A', 16)).toEqual({ granted: 16, share: 16 })
    // A holds everything: B's share is half, but nothing is free until A gives some back.
    expect(await share(sb, 'B', 16)).toEqual({ granted: 0, share: 8 })
    expect(await sa.renewSlots('A', [ep.id], 60_000)).toEqual([{ endpointId: ep.id, contended: true }])
    // A rebalances with 16 attempts still running: granted its share; its row covers the 16.
    expect(await share(sa, 'A', 16, 16)).toEqual({ granted: 8, share: 8 })
    expect(await share(sb, 'B', 16)).toEqual({ granted: 0, share: 8 })
    // Its attempts down to 8, A lowers its row, and B gets its share.
    await sa.setSlots('A', ep.id, 8, 60_000)
    expect(await share(sb, 'B', 16)).toEqual({ granted: 8, share: 8 })
    // B now has what it wants: nobody is short.
    await share(sb, 'B', 8)
    expect(await sa.renewSlots('A', [ep.id], 60_000)).toEqual([{ endpointId: ep.id, contended: false }])
  })

  it('every worker computes the same split, so a limit smaller than the workers still serves one', async () => {
    const one = (st: SharedLimitStore, owner: string) => st.shareSlots({ owner, endpointId: ep.id, limit: 1, want: 4, running: 0, ttlMs: 60_000 })
    const a1 = await one(sa, 'A')
    const b1 = await one(sb, 'B')
    expect(a1.granted + b1.granted).toBe(1)
    // Asked again in any order, the one slot stays with one of them and is never lost to both.
    const [a2, b2] = [await one(sa, 'A'), await one(sb, 'B')]
    const [b3, a3] = [await one(sb, 'B'), await one(sa, 'A')]
    expect(a2.share + b2.share).toBe(1)
    expect(Math.max(a2.granted, b2.granted, a3.granted, b3.granted)).toBe(1)
    expect(a3.share).toBe(a2.share)
    // 3 slots between 2 busy workers: all 3 are used, not 1 + 1.
    const three = (st: SharedLimitStore, owner: string) => st.shareSlots({ owner, endpointId: ep.id, limit: 3, want: 3, running: 0, ttlMs: 60_000 })
    await sa.releaseSlots('A', null)
    await sb.releaseSlots('B', null)
    expect((await three(sa, 'A')).granted + (await three(sb, 'B')).granted).toBe(3)
  })

  it('renews only the endpoints asked for: a row its worker forgot expires', async () => {
    await share(sa, 'A', 4, 0, 60_000)
    expect(await sa.renewSlots('A', [], 60_000)).toEqual([])
    expect(await sa.renewSlots('A', ['ep_other'], 60_000)).toEqual([])
    expect(await sa.renewSlots('A', [ep.id], 60_000)).toEqual([{ endpointId: ep.id, contended: false }])
  })

  it('a worker wanting little leaves the rest to one wanting much', async () => {
    expect(await share(sa, 'A', 2)).toEqual({ granted: 2, share: 2 })
    expect(await share(sb, 'B', 16)).toEqual({ granted: 14, share: 14 })
  })

  it('never grants more than the limit in all, however many workers ask at once', async () => {
    const owners = Array.from({ length: 24 }, (_, i) => `W${i}`)
    const grants = await Promise.all(owners.map((o, i) => share(i % 2 === 0 ? sa : sb, o, 16)))
    expect(grants.reduce((n, g) => n + g.granted, 0)).toBeLessThanOrEqual(16)
    // And again, each with what it now holds: still at most the limit.
    const again = await Promise.all(owners.map((o, i) => share(i % 2 === 0 ? sa : sb, o, 16, grants[i]!.granted)))
    const held = again.map((g, i) => Math.max(g.granted, grants[i]!.granted))
    expect(held.reduce((n, g) => n + g, 0)).toBeLessThanOrEqual(16)
  })

  it("a worker that stops renewing loses its slots when its row expires; they are not renewed afterwards", async () => {
    expect((await share(sa, 'A', 16, 0, 300)).granted).toBe(16)
    expect((await share(sb, 'B', 16)).granted).toBe(0)
    await sleep(400)
    expect((await share(sb, 'B', 16)).granted).toBe(16)
    expect(await sa.renewSlots('A', [ep.id], 60_000)).toEqual([])
  })

  it('released slots are free for others at once', async () => {
    await share(sa, 'A', 16)
    await sa.releaseSlots('A', [ep.id])
    expect((await share(sb, 'B', 16)).granted).toBe(16)
    await sb.releaseSlots('B', null)
    expect((await share(sa, 'A', 16)).granted).toBe(16)
  })

  it('workers draw tokens from one bucket: one second of burst, then the rate', async () => {
    expect(await sa.takeTokens(ep.id, 5, 3)).toEqual({ granted: 3, tokens: expect.closeTo(2, 0) })
    expect((await sb.takeTokens(ep.id, 5, 3)).granted).toBe(2)
    const empty = await sa.takeTokens(ep.id, 5, 1)
    expect(empty.granted).toBe(0)
    expect(empty.tokens).toBeLessThan(1)
    await sleep(250)
    expect((await sb.takeTokens(ep.id, 5, 5)).granted).toBe(1)
  })

  it('concurrent takes never grant more than the bucket holds and its refill', async () => {
    const started = Date.now()
    const takes = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? sa : sb).takeTokens(ep.id, 10, 1)))
    const elapsed = Date.now() - started
    const granted = takes.reduce((n, t) => n + t.granted, 0)
    expect(granted).toBeGreaterThanOrEqual(10)
    expect(granted).toBeLessThanOrEqual(10 + Math.ceil((elapsed / 1000) * 10))
  })

  it("an endpoint's rows go with it", async () => {
    await share(sa, 'A', 4)
    await sa.takeTokens(ep.id, 5, 1)
    await a.deleteEndpoint('t1', ep.id)
    const other = endpointRecord({ tenantId: 't1', createdAt: T0, updatedAt: T0 })
    await a.createEndpoint(other, { current: 'sealed', previous: [] })
    expect(await sa.renewSlots('A', [ep.id], 60_000)).toEqual([])
    // Asked about after it went, a deleted endpoint limits nothing (and writes no row).
    expect(await share(sa, 'A', 5)).toEqual({ granted: 5, share: 5 })
    expect(await sa.takeTokens(ep.id, 1, 3)).toEqual({ granted: 3, tokens: 0 })
    expect(await sa.renewSlots('A', [ep.id], 60_000)).toEqual([])
  })
})
