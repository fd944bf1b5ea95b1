/**
 * Fifo endpoints end to end (API.md, Endpoints: ordering), on the store of this pass (SQLite, or
 * PostgreSQL with HOOKRELAY_TEST_STORE=postgres): one attempt at a time in publish order, a retry
 * holding the later deliveries back, across a graceful restart and a SIGKILL mid-attempt, while an
 * unordered endpoint beside it is not held back. Every request goes to 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

/** The `n` of each request's body, in arrival order. */
const arrivals = (r: Receiver): number[] => r.hits.map((h) => (JSON.parse(h.body) as { data: { n: number } }).data.n)

/**
 * A receiver that counts requests in flight at once, and fails the first `failFirst` requests of
 * event n = 1 with a 500 (retried).
 */
async function orderedReceiver(opts: { failFirst?: number; delayMs?: number } = {}) {
  const state = { inFlight: 0, peak: 0, failures: 0 }
  const receiver = await startReceiver(async (_req, body) => {
    state.inFlight++
    state.peak = Math.max(state.peak, state.inFlight)
    try {
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 5))
      const n = (JSON.parse(body) as { data: { n: number } }).data.n
      if (n === 1 && state.failures < (opts.failFirst ?? 0)) {
        state.failures++
        return { status: 500 }
      }
      return { status: 200 }
    } finally {
      state.inFlight--
    }
  })
  return { receiver, state }
}

describe('fifo endpoints', () => {
  const dir = useTempDirs('fifo')
  const open: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    await killAllChildren()
    for (const o of open.splice(0).reverse()) await o.close()
  })

  it('a receiver that fails the first delivery twice sees 1..N in order, one at a time; an unordered endpoint is not held back', async () => {
    const { receiver, state } = await orderedReceiver({ failFirst: 2 })
    const plain = await startReceiver()
    open.push(receiver, plain)
    const srv = await startTestServer()
    open.push(srv)
    expect((await srv.api('POST', '/v1/tenants', { id: 'fifo', name: 'Fifo' })).status).toBe(201)
    const ep = await srv.api('POST', '/v1/tenants/fifo/endpoints', { url: `${receiver.url}/ordered`, ordering: 'fifo', retry: { schedule: [1, 1, 1] } })
    expect(ep.status).toBe(201)
    expect(ep.body.ordering).toBe('fifo')
    expect((await srv.api('GET', `/v1/tenants/fifo/endpoints/${ep.body.id}`)).body.ordering).toBe('fifo')
    const other = await srv.api('POST', '/v1/tenants/fifo/endpoints', { url: `${plain.url}/plain` })
    expect(other.body.ordering).toBe('none')

    const N = 20
    for (let n = 1; n <= N; n++) expect((await srv.api('POST', '/v1/tenants/fifo/events', { type: 'order.created', payload: { n } })).status).toBe(202)
    // The unordered endpoint has everything while the ordered one still waits for event 1's retries.
    await plain.waitForHits(N, 10_000)
    expect(arrivals(receiver).filter((n) => n > 1)).toEqual([])

    await receiver.waitForHits(N + 2, 20_000)
    expect(arrivals(receiver)).toEqual([1, 1, 1, ...Array.from({ length: N - 1 }, (_, i) => i + 2)])
    expect(state.peak).toBe(1)
    // The last settlement is written just after its answer.
    await eventually(async () => {
      const list = await srv.api('GET', `/v1/tenants/fifo/deliveries?endpointId=${ep.body.id}&limit=100`)
      return list.body.data.length === N && list.body.data.every((d: { status: string }) => d.status === 'succeeded')
    })
  })

  it('holds the order across a graceful restart while the head waits for its retry', async () => {
    const { receiver } = await orderedReceiver({ failFirst: 1 })
    open.push(receiver)
    const dataDir = dir('restart')
    const first = await startTestServer({ dataDir })
    expect((await first.api('POST', '/v1/tenants', { id: 'rst', name: 'Restart' })).status).toBe(201)
    // A long first retry: the restart happens while event 1 waits for it.
    const ep = await first.api('POST', '/v1/tenants/rst/endpoints', { url: `${receiver.url}/o`, ordering: 'fifo', retry: { schedule: [3] } })
    expect(ep.status).toBe(201)
    for (let n = 1; n <= 5; n++) expect((await first.api('POST', '/v1/tenants/rst/events', { type: 'a.b', payload: { n } })).status).toBe(202)
    await receiver.waitForHits(1)
    await first.close()
    const second = await startTestServer({ dataDir, databaseUrl: first.databaseUrl })
    open.push(second)
    await receiver.waitForHits(6, 15_000)
    expect(arrivals(receiver)).toEqual([1, 1, 2, 3, 4, 5])
  })

  it('a SIGKILL mid-attempt repeats the head at most, never lets a later one past it', async () => {
    // Event 3 is held by the receiver until the server is killed.
    let release = (): void => {}
    const held = new Promise<void>((r) => (release = r))
    let answeredThree = false
    const receiver = await startReceiver(async (_req, body) => {
      const n = (JSON.parse(body) as { data: { n: number } }).data.n
      if (n === 3 && !answeredThree) {
        await held
        answeredThree = true
      }
      return { status: 200 }
    })
    open.push({ close: async () => (release(), receiver.close()) })
    const dataDir = dir('kill')
    const child = await spawnServer({ dataDir, env: { HOOKRELAY_LEASE_SECONDS: '5' } })
    const api = childApi(child.url)
    expect((await api('POST', '/v1/tenants', { id: 'kill', name: 'Kill' })).status).toBe(201)
    expect((await api('POST', '/v1/tenants/kill/endpoints', { url: `${receiver.url}/o`, ordering: 'fifo' })).status).toBe(201)
    for (let n = 1; n <= 8; n++) expect((await api('POST', '/v1/tenants/kill/events', { type: 'a.b', payload: { n } })).status).toBe(202)
    await eventually(async () => arrivals(receiver).includes(3), 10_000)
    child.kill('SIGKILL')
    await child.exited
    release()
    const again = await spawnServer({ dataDir, env: { HOOKRELAY_LEASE_SECONDS: '5' } })
    await eventually(async () => arrivals(receiver).includes(8), 20_000)
    await eventually(async () => {
      const list = await childApi(again.url)<{ data: Array<{ status: string }> }>('GET', '/v1/tenants/kill/deliveries')
      return list.body.data.length === 8 && list.body.data.every((d) => d.status === 'succeeded')
    }, 10_000)
    // 3 was sent again after the kill (its outcome was never recorded); nothing came before its turn.
    expect(arrivals(receiver)).toEqual([1, 2, 3, 3, 4, 5, 6, 7, 8])
  }, 60_000)

  it('turning fifo off lets what waited go at once', async () => {
    const slow = await startReceiver(() => ({ status: 503 }))
    open.push(slow)
    const srv = await startTestServer()
    open.push(srv)
    expect((await srv.api('POST', '/v1/tenants', { id: 'off', name: 'Off' })).status).toBe(201)
    const ep = await srv.api('POST', '/v1/tenants/off/endpoints', { url: `${slow.url}/o`, ordering: 'fifo', retry: { schedule: [60] } })
    for (let n = 1; n <= 4; n++) await srv.api('POST', '/v1/tenants/off/events', { type: 'a.b', payload: { n } })
    await slow.waitForHits(1)
    // Event 1 waits a minute for its retry; 2-4 wait behind it.
    await new Promise((r) => setTimeout(r, 300))
    expect(arrivals(slow)).toEqual([1])
    const patched = await srv.api('PATCH', `/v1/tenants/off/endpoints/${ep.body.id}`, { ordering: 'none' })
    expect(patched.body.ordering).toBe('none')
    await slow.waitForHits(4)
    expect(arrivals(slow).sort()).toEqual([1, 2, 3, 4])
  })

  it('refuses an ordering that is neither none nor fifo', async () => {
    const srv = await startTestServer()
    open.push(srv)
    expect((await srv.api('POST', '/v1/tenants', { id: 'bad', name: 'Bad' })).status).toBe(201)
    const r = await srv.api('POST', '/v1/tenants/bad/endpoints', { url: 'https://example.com/h', ordering: 'lifo' })
    expect(r.status).toBe(422)
  })
})
