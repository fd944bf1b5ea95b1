import { describe, expect, it } from 'vitest'
import { TenantFairQueue } from './tenant-fair-queue.js'

const PENALTY = 30_000

/** A queue with `items` pushed in order, each named `<tenant><n>`. */
function queue(slots: number, items: string[]): TenantFairQueue<string> {
  const q = new TenantFairQueue<string>({ slots, penaltyMs: PENALTY })
  for (const item of items) q.push(item[0]!, item)
  return q
}

/** Takes into `free` free slots until none is left or nothing may start; returns the items in start order. */
function takeUpTo(q: TenantFairQueue<string>, free: number, nowMs = 0): string[] {
  const out: string[] = []
  for (let t = out.length < free ? q.take(nowMs) : undefined; t !== undefined; t = out.length < free ? q.take(nowMs) : undefined) out.push(t.item)
  return out
}

/** Runs every item on `slots` slots, finishing the oldest started first; returns the start order. */
function runThrough(q: TenantFairQueue<string>, slots: number, overruns: (item: string) => boolean = () => false, nowMs = 0): string[] {
  const order: string[] = []
  const running: Array<{ tenant: string; item: string }> = []
  for (;;) {
    while (running.length < slots) {
      const t = q.take(nowMs)
      if (t === undefined) break
      order.push(t.item)
      running.push(t)
    }
    const done = running.shift()
    if (done === undefined) return order
    q.finish(done.tenant, overruns(done.item), nowMs)
  }
}

/** A queue on `slots` slots in which one of tenant a's items overran at 1,000 ms, then `items` were queued. */
function afterOverrun(slots: number, items: string[]): TenantFairQueue<string> {
  const q = queue(slots, ['a0'])
  q.take(0)
  q.finish('a', true, 1_000)
  for (const item of items) q.push(item[0]!, item)
  return q
}

describe('TenantFairQueue', () => {
  it("keeps one tenant's items in the order queued and lets it use every slot when nobody else waits", () => {
    const q = queue(2, ['a1', 'a2', 'a3'])
    expect(takeUpTo(q, 2)).toEqual(['a1', 'a2'])
    expect(q.waiting).toBe(1)
  })

  it('serves tenants in turns, however many items each queued', () => {
    expect(runThrough(queue(1, ['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'c1']), 1)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'a4'])
    expect(runThrough(queue(2, ['a1', 'a2', 'a3', 'a4', 'b1', 'b2']), 2)).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'a4'])
  })

  it('serves a tenant that arrives later at the next turn, not after the queue it found', () => {
    const q = queue(1, ['a1', 'a2', 'a3'])
    q.take(0)
    q.push('b', 'b1')
    q.finish('a', false, 0)
    expect(q.take(0)!.item).toBe('b1')
  })

  it('gives a free slot to a waiting tenant rather than let another hold every slot, even on its turn', () => {
    const q = queue(2, ['a1', 'a2'])
    expect(takeUpTo(q, 1)).toEqual(['a1'])
    // a is first in turn (b arrived after), but a second slot for a would leave b none.
    q.push('b', 'b1')
    expect(takeUpTo(q, 1)).toEqual(['b1'])
    // On 3 slots a may hold 2 while b waits, never 3.
    const three = queue(3, ['a1', 'a2', 'a3'])
    expect(takeUpTo(three, 2)).toEqual(['a1', 'a2'])
    three.push('b', 'b1')
    three.push('b', 'b2')
    expect(takeUpTo(three, 1)).toEqual(['b1'])
    three.finish('b', false, 0)
    expect(takeUpTo(three, 1)).toEqual(['b2'])
    three.finish('a', false, 0)
    expect(takeUpTo(three, 1)).toEqual(['a3'])
  })

  it('does not cap a single slot (the cap would leave it idle for good)', () => {
    const q = queue(1, ['a1', 'b1'])
    expect(takeUpTo(q, 1)).toEqual(['a1'])
    q.finish('a', true, 0)
    expect(takeUpTo(q, 1)).toEqual(['b1'])
    q.finish('b', false, 0)
    q.push('a', 'a2')
    expect(takeUpTo(q, 1)).toEqual(['a2'])
  })

  it('puts a tenant whose item overran behind the others, even when its turn comes first', () => {
    // Without the overrun: a1 b1 c1 a2 b2.
    expect(runThrough(queue(1, ['a1', 'a2', 'b1', 'b2', 'c1']), 1)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2'])
    expect(runThrough(queue(1, ['a1', 'a2', 'b1', 'b2', 'c1']), 1, (item) => item === 'a1')).toEqual(['a1', 'b1', 'c1', 'b2', 'a2'])
  })

  it('gives a penalised tenant all slots but one, even when nobody else waits, so the free one is there for another tenant', () => {
    const q = afterOverrun(2, ['a1', 'a2'])
    expect(takeUpTo(q, 2, 2_000)).toEqual(['a1'])
    q.push('b', 'b1')
    expect(takeUpTo(q, 1, 2_000)).toEqual(['b1'])
  })

  it('starts the penalty again at each overrun, so runaway after runaway stays behind', () => {
    const q = afterOverrun(2, ['a1'])
    q.take(20_000)
    q.finish('a', true, 20_000)
    // The first penalty alone ends at 31,000.
    expect(q.penalised('a', 40_000)).toBe(true)
    expect(q.penalised('a', 20_000 + PENALTY - 1)).toBe(true)
    expect(q.penalised('a', 20_000 + PENALTY)).toBe(false)
  })

  it('ends the penalty after penaltyMs: the tenant takes its turn and every slot again', () => {
    const items = ['a1', 'a2', 'b1', 'b2']
    const during = 1_000 + PENALTY - 1
    expect(afterOverrun(2, items).penalised('a', during)).toBe(true)
    expect(runThrough(afterOverrun(2, items), 2, () => false, during)).toEqual(['b1', 'a1', 'b2', 'a2'])
    const after = 1_000 + PENALTY
    const q = afterOverrun(2, items)
    expect(q.penalised('a', after)).toBe(false)
    expect(runThrough(q, 2, () => false, after)).toEqual(['a1', 'b1', 'a2', 'b2'])
    q.push('a', 'a3')
    q.push('a', 'a4')
    expect(takeUpTo(q, 2, after)).toEqual(['a3', 'a4'])
  })

  it('counts what waits and drains it all', () => {
    const q = queue(2, ['a1', 'a2', 'b1'])
    q.take(0)
    expect(q.waiting).toBe(2)
    expect(q.drain().sort()).toEqual(['a2', 'b1'])
    expect(q.waiting).toBe(0)
    expect(q.take(0)).toBeUndefined()
  })

  it("takes a batch of one tenant's items, in order, on one slot, and gives the next turn to another tenant", () => {
    const q = queue(2, ['a1', 'a2', 'a3', 'b1', 'a4'])
    expect(q.takeBatch(0, 3)).toEqual({ tenant: 'a', items: ['a1', 'a2', 'a3'] })
    expect(q.waiting).toBe(2)
    // a holds one slot for its three items; the other slot goes to b, whose turn it is.
    expect(q.takeBatch(0, 3)).toEqual({ tenant: 'b', items: ['b1'] })
    q.finish('b', false, 0)
    expect(q.takeBatch(0, 3)).toEqual({ tenant: 'a', items: ['a4'] })
  })

  it('caps a tenant taking batches as it caps one taking items: another waiting tenant keeps a slot', () => {
    const q = queue(2, ['a1', 'a2', 'a3', 'a4'])
    expect(q.takeBatch(0, 2)?.items).toEqual(['a1', 'a2'])
    q.push('b', 'b1')
    // b has had no turn, so it goes first anyway; with b gone, a may take the last slot.
    expect(q.takeBatch(0, 2)?.items).toEqual(['b1'])
    q.finish('b', false, 0)
    expect(q.takeBatch(0, 2)?.items).toEqual(['a3', 'a4'])
  })

  it('puts items back at the head of their tenant, in order, to be taken again', () => {
    const q = queue(1, ['a1', 'a2', 'a3', 'a4'])
    const batch = q.takeBatch(0, 3)!
    q.putBack('a', batch.items.slice(1))
    q.finish('a', true, 0)
    expect(q.waiting).toBe(3)
    expect(q.takeBatch(0, 10)).toEqual({ tenant: 'a', items: ['a2', 'a3', 'a4'] })
  })
})
