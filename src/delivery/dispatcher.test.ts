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
  shape: compileShape(endpoint, { id: 't', name: 't', metadata: {} }, { type: 'none' }).shape,
  shapeError: null,
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
