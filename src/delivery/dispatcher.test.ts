import { describe, expect, it } from 'vitest'
import { retryPolicyFor } from '../core/retry-policy.js'
import { compileShape } from '../core/shaping/request-shape.js'
import type { SendTarget } from '../services/endpoint-directory.js'
import type { DueDelivery, Settlement } from '../store/store.js'
import { endpointRecord } from '../../test/helpers/records.js'
import { Dispatcher } from './dispatcher.js'
import type { Sender } from './sender.js'

// The dispatcher's bookkeeping with the store and the network taken out: a backlog in memory
// that claims hand out, a store whose settlements take a while (as a round trip to PostgreSQL
// does), and a sender that answers 200 at once.

const endpoint = endpointRecord({ tenantId: 't', id: 'ep_1', url: 'http://127.0.0.1:1/hook' })
const target: SendTarget = {
  endpoint,
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  validUntil: Number.POSITIVE_INFINITY,
  retryPolicy: retryPolicyFor(endpoint.retry),
  shape: compileShape({ ...endpoint, headers: {} }, { id: 't', name: 't', metadata: {} }, { type: 'none' }).shape,
  shapeInput: { endpoint: { ...endpoint, headers: {} }, tenant: { id: 't', name: 't', metadata: {} }, auth: { type: 'none' }, maxOutputBytes: 1024 * 1024 },
  allowedNetworks: null,
}

const due = (i: number): DueDelivery => ({
  id: `dlv_${String(i).padStart(6, '0')}`,
  tenantId: 't',
  endpointId: endpoint.id,
  eventId: `evt_${i}`,
  eventType: 'a.b',
  payloadJson: '{}',
  occurredAt: 0,
  attemptCount: 0,
  trigger: 'scheduled',
  oneShot: false,
})

describe('Dispatcher', () => {
  it('keeps claiming a backlog when settlements are slower than the attempts', async () => {
    const backlog = Array.from({ length: 200 }, (_, i) => due(i))
    const settled = new Set<string>()
    const store = {
      async claimDue({ limit }: { limit: number }) {
        return backlog.splice(0, limit)
      },
      async settle(items: Settlement[]) {
        await new Promise((r) => setTimeout(r, 30))
        for (const it of items) settled.add(it.deliveryId)
        return items.map(() => true)
      },
      async renewLeases(_owner: string, ids: readonly string[]) {
        return [...ids]
      },
      async releaseLeases() {
        return 0
      },
      async nextDueAt() {
        return backlog.length > 0 ? 0 : null
      },
    }
    const sender: Sender = {
      async send() {
        return { startedAt: 0, durationMs: 0, response: { status: 200, headers: {}, body: '' }, error: null }
      },
      async close() {},
    }
    const d = new Dispatcher({
      store,
      sender,
      targets: { sendTarget: async () => target },
      owner: 'node',
      endpointConcurrency: 4,
      maxInFlight: 4,
      leaseMs: 60_000,
      maxHeld: 16,
    })
    d.start()
    try {
      const until = Date.now() + 5000
      while (settled.size < 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
      expect(settled.size).toBe(200)
    } finally {
      await d.stop()
    }
  })
})

describe('Dispatcher rate limits', () => {
  it("learns an endpoint's rate before its first attempt, so a backlog does not go out in one burst", async () => {
    const limited = { ...target, endpoint: { ...endpoint, rateLimitPerSecond: 2 } }
    let backlog = Array.from({ length: 10 }, (_, i) => due(i))
    const sentAt: number[] = []
    const d = new Dispatcher({
      store: {
        async claimDue({ limit }: { limit: number }) {
          const out = backlog.slice(0, limit)
          backlog = backlog.slice(limit)
          return out
        },
        async settle(items: Settlement[]) {
          return items.map(() => true)
        },
        async renewLeases(_owner: string, ids: readonly string[]) {
          return [...ids]
        },
        async releaseLeases() {
          return 0
        },
        async nextDueAt() {
          return null
        },
      },
      sender: {
        async send() {
          sentAt.push(Date.now())
          return { startedAt: 0, durationMs: 0, response: { status: 200, headers: {}, body: '' }, error: null }
        },
        async close() {},
      },
      targets: { sendTarget: async () => limited },
      owner: 'node',
      endpointConcurrency: 16,
      maxInFlight: 16,
      leaseMs: 60_000,
    })
    d.start()
    try {
      await new Promise((r) => setTimeout(r, 300))
      // The burst is one second's worth (2); the third waits for the next token, 500 ms on.
      expect(sentAt.length).toBe(2)
    } finally {
      await d.stop()
    }
  })
})

describe('Dispatcher leases', () => {
  const T0 = 1_800_000_000_000

  /**
   * A dispatcher on a fake clock (timers are real: renewals run every leaseMs / 3) over a backlog
   * that claims hand out, sending one attempt at a time; the first attempt is held open until
   * `answerFirst()`, so the rest wait in the queue meanwhile.
   */
  function leased(o: { leaseMs: number; backlog: DueDelivery[]; renewLeases: (owner: string, ids: readonly string[], until: number) => Promise<string[]> }) {
    const clock = { t: T0 }
    const sent: string[] = []
    const settled: string[] = []
    const settlements: Settlement[] = []
    const claims: number[] = []
    let answerFirst = (): void => {}
    const firstAnswered = new Promise<void>((r) => (answerFirst = r))
    const ok = { startedAt: 0, durationMs: 0, response: { status: 200, headers: {}, body: '' }, error: null }
    const d = new Dispatcher({
      store: {
        async claimDue({ now, limit }: { now: number; limit: number }) {
          claims.push(now)
          return o.backlog.splice(0, limit)
        },
        async settle(items: Settlement[]) {
          for (const it of items) settled.push(it.deliveryId)
          settlements.push(...items)
          return items.map(() => true)
        },
        renewLeases: o.renewLeases,
        async releaseLeases() {
          return 0
        },
        async nextDueAt() {
          return null
        },
      },
      sender: {
        async send(req) {
          sent.push(req.headers['webhook-id']!)
          if (sent.length === 1) await firstAnswered
          return ok
        },
        async close() {},
      },
      targets: { sendTarget: async () => target },
      owner: 'node',
      endpointConcurrency: 1,
      maxInFlight: 1,
      leaseMs: o.leaseMs,
      now: () => clock.t,
    })
    return { d, clock, sent, settled, settlements, claims, answerFirst }
  }

  it('renews the leases of what it holds, queued and in flight, and drops a queued one whose lease was lost', async () => {
    const backlog = [0, 1, 2, 3].map(due)
    const ids = backlog.map((b) => b.id)
    const events = backlog.map((b) => b.eventId)
    const renewals: Array<{ owner: string; ids: string[]; until: number }> = []
    // Another node took dlv_2 (its lease had ended there): its renewal comes back without it.
    const lost = ids[2]!
    const h = leased({
      leaseMs: 600,
      backlog,
      async renewLeases(owner, asked, until) {
        renewals.push({ owner, ids: [...asked].sort(), until })
        return asked.filter((id) => id !== lost)
      },
    })
    h.d.start()
    try {
      await until(() => h.sent.length === 1, 'the first attempt')
      // A third of the lease gone, over a third of it left: the next renewal takes everything held.
      h.clock.t = T0 + 250
      await until(() => renewals.length > 0, 'a renewal')
      expect(renewals[0]).toEqual({ owner: 'node', ids, until: T0 + 850 })
      // Still well within the leases' first end (T0 + 600), so the launch check would let the lost
      // one go: only the renewal's answer keeps it from being sent twice.
      h.clock.t = T0 + 300
      h.answerFirst()
      await until(() => h.settled.length >= 3, 'three settled')
      await new Promise((r) => setTimeout(r, 50))
      expect(h.sent).toEqual([events[0], events[1], events[3]])
      // Nothing held, nothing renewed: no timer runs while idle.
      const made = renewals.length
      await new Promise((r) => setTimeout(r, 500))
      expect(renewals.length).toBe(made)
    } finally {
      h.answerFirst()
      await h.d.stop()
    }
  })

  it('keeps renewing the lease of an attempt still in flight while it stops, and no longer after', async () => {
    const renewals: string[][] = []
    const h = leased({
      leaseMs: 300,
      backlog: [due(0)],
      async renewLeases(_owner, ids) {
        renewals.push([...ids])
        return [...ids]
      },
    })
    h.d.start()
    await until(() => h.sent.length === 1, 'the attempt')
    const stopping = h.d.stop()
    // The attempt outlives two thirds of its lease while the dispatcher stops: still ours.
    h.clock.t = T0 + 250
    await until(() => renewals.length > 0, 'a renewal while stopping')
    expect(renewals[0]).toEqual([due(0).id])
    h.answerFirst()
    await stopping
    const made = renewals.length
    await new Promise((r) => setTimeout(r, 250))
    expect(renewals.length).toBe(made)
  })

  it('a re-claim of a delivery still queued replaces the queued copy with the row as claimed', async () => {
    const backlog = [due(0), due(1)]
    const h = leased({ leaseMs: 60_000, backlog, renewLeases: async (_owner, ids) => [...ids] })
    h.d.start()
    try {
      await until(() => h.sent.length === 1, 'the first attempt')
      // dlv_1 waits in the queue when a manual retry makes it due again, and a claim reads it anew.
      backlog.push({ ...due(1), trigger: 'manual' })
      h.d.wake()
      await until(() => h.claims.length >= 2 && backlog.length === 0, 'the re-claim')
      h.answerFirst()
      await until(() => h.settlements.length >= 2, 'both settled')
      // Settled as the row now stands; the stale copy's settlement would have been refused and sent again.
      expect(h.settlements.find((x) => x.deliveryId === due(1).id)?.claimedTrigger).toBe('manual')
      expect(h.sent).toEqual([due(0).eventId, due(1).eventId])
    } finally {
      h.answerFirst()
      await h.d.stop()
    }
  })

  it('never launches a queued delivery whose lease has ended, though renewals fail, and claims again', async () => {
    const backlog = [0, 1, 2].map(due)
    let renewalsTried = 0
    const h = leased({
      leaseMs: 600,
      backlog,
      async renewLeases() {
        renewalsTried++
        throw new Error('the database cannot be reached')
      },
    })
    h.d.start()
    try {
      await until(() => h.sent.length === 1, 'the first attempt')
      // One handed over by a publish whose lease has ended too, and one whose lease runs on.
      h.d.accept([
        { ...due(7), leaseEnd: T0 + 500 },
        { ...due(8), leaseEnd: T0 + 120_000 },
      ])
      // Renewals come due, and fail.
      h.clock.t = T0 + 250
      await until(() => renewalsTried > 0, 'a renewal tried')
      h.clock.t = T0 + 600
      const claimsBefore = h.claims.length
      h.answerFirst()
      await until(() => h.settled.length >= 2, 'two settled')
      await new Promise((r) => setTimeout(r, 50))
      expect(h.sent).toEqual([due(0).eventId, due(8).eventId])
      // They are due again in the database: the dispatcher looks there for them, with a fresh claim.
      expect(h.claims.slice(claimsBefore)).toContain(T0 + 600)
      expect(h.d.heldCount).toBe(0)
    } finally {
      h.answerFirst()
      await h.d.stop()
    }
  })
})

async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
