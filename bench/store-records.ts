// What the in-process store benchmarks (settle-cost.ts, publish-cost.ts, pg-store-cost.ts) settle:
// a default delivery's first attempt, answered 204, as the dispatcher hands it to store.settle().
import { newId } from '../src/core/ids.js'
import type { Attempt } from '../src/core/model.js'
import type { Settlement } from '../src/store/store.js'

// What a default delivery's attempt logs: the signature masked, a small 204 answer.
const HEADERS = { 'content-type': 'application/json', 'user-agent': 'hookrelay/0.1.0', 'webhook-id': 'evt_x', 'webhook-timestamp': '1796598515', 'webhook-signature': 'v1,****abcd' }

export function succeededAttempt(deliveryId: string, endpointId: string, now: number): Attempt {
  return {
    id: newId('att'), deliveryId, endpointId, tenantId: 't', attemptNumber: 1, trigger: 'scheduled', startedAt: now, durationMs: 2,
    request: { method: 'POST', url: 'http://127.0.0.1:40000/hook', headers: HEADERS, body: '' },
    response: { status: 204, headers: { date: 'Sun, 06 Dec 2026 23:00:00 GMT', connection: 'keep-alive' }, body: '' },
    error: null, success: true,
  }
}

/** The settlement of a leased delivery's first attempt, which succeeded. */
export const succeededSettlement = (deliveryId: string, endpointId: string, now: number, leaseOwner: string): Settlement => ({
  deliveryId, leaseOwner, claimedAttemptCount: 0, claimedTrigger: 'scheduled', envelopeBody: true, ordered: false, status: 'succeeded',
  attempt: succeededAttempt(deliveryId, endpointId, now),
})
