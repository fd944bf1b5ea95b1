import { describe, expect, it } from 'vitest'
import type { SourceRequest } from '../core/model.js'
import type { SourceRequestWrite } from '../store/store.js'
import { RequestLog } from './request-log.js'

const entry = (n: number, status: SourceRequest['status']): SourceRequestWrite => ({
  log: {
    id: `req_${n}`,
    sourceId: 'src_1',
    receivedAt: n,
    status,
    eventType: null,
    idempotencyKey: null,
    error: null,
    actions: [],
    request: { method: 'POST', path: '/in/src_1', headers: {}, body: Buffer.alloc(0) },
  },
  claim: null,
})

/** A store whose writes wait until released, to see what queues meanwhile. */
function gatedStore() {
  const batches: SourceRequestWrite[][] = []
  let release: () => void = () => {}
  let gate = new Promise<void>((r) => (release = r))
  return {
    batches,
    open: () => release(),
    close: () => (gate = new Promise<void>((r) => (release = r))),
    async recordSourceRequests(items: SourceRequestWrite[]) {
      await gate
      batches.push(items)
    },
  }
}

describe('RequestLog', () => {
  it('writes requests that arrive together in one batch, and resolves each once written', async () => {
    const store = gatedStore()
    store.open()
    const log = new RequestLog(store)
    await Promise.all([1, 2, 3].map((n) => log.write(entry(n, 'accepted'))))
    expect(store.batches.map((b) => b.map((i) => i.log.id))).toEqual([['req_1', 'req_2', 'req_3']])
  })

  it('in a flood, drops refused requests beyond the bound but never accepted ones', async () => {
    const store = gatedStore()
    const log = new RequestLog(store, 10, 4)
    const writes: Array<Promise<void>> = []
    for (let n = 0; n < 30; n++) writes.push(log.write(entry(n, 'verification_failed')))
    for (let n = 30; n < 35; n++) writes.push(log.write(entry(n, 'accepted')))
    store.open()
    await Promise.all(writes)
    await log.flush()
    const written = store.batches.flat().map((i) => i.log.id)
    expect(log.dropped).toBeGreaterThan(0)
    expect(written.length + log.dropped).toBe(35)
    for (let n = 30; n < 35; n++) expect(written).toContain(`req_${n}`)
    expect(Math.max(...store.batches.map((b) => b.length))).toBeLessThanOrEqual(4)
  })

  it('resolves writes even when the store refuses them', async () => {
    const log = new RequestLog({ recordSourceRequests: () => Promise.reject(new Error('disk full')) })
    await expect(log.write(entry(1, 'accepted'))).resolves.toBeUndefined()
  })
})
