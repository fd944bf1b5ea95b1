/**
 * SIGKILL at any moment loses nothing: the real server runs as a child process, takes concurrent
 * publishes, is killed with SIGKILL mid-stream, restarts on the same data directory, and every event
 * that got a 202 must then arrive at every matching endpoint (at least once; duplicates are allowed
 * and reported).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer, CHILD_ADMIN_TOKEN } from '../helpers/child-server.js'
import { startReceiver, type Receiver, type ReceiverHit } from '../helpers/receiver.js'

/**
 * On SQLite, which serves one node, a restart takes back the dead process's leases at once. On
 * PostgreSQL another node cannot know the owner is dead: its deliveries come back when their leases
 * end, so the PostgreSQL pass runs with 5-second leases to see that happen within the test.
 */
const LEASE_ENV: Record<string, string> = process.env.HOOKRELAY_TEST_STORE === 'postgres' ? { HOOKRELAY_LEASE_SECONDS: '5' } : {}

const TENANT = 'kill-test'
const EVENT_TYPE = 'order.created'
const PARALLEL_PUBLISHERS = 8

interface Scenario {
  name: string
  /** Delay of the slow receiver's answers until the kill. */
  slowDelayMs: number
  /** Publishes attempted in all (a bound, not a target). */
  maxPublishes: number
  /** Resolves when it is time to SIGKILL, given what has been seen so far. */
  killWhen(state: { accepted: number; hits: number; publishing: boolean; sinceStartMs: number }): boolean
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  await killAllChildren()
  for (const c of cleanups.splice(0).reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function runScenario(s: Scenario): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-kill-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const fast = await startReceiver()
  let slowDelay = s.slowDelayMs
  const slow = await startReceiver(() => ({ delayMs: slowDelay }))
  cleanups.push(() => fast.close(), () => slow.close())

  // --- first life: set up, publish concurrently, SIGKILL mid-stream ---
  const first = await spawnServer({ dataDir, env: LEASE_ENV })
  let api = childApi(first.url)
  expect((await api('POST', '/v1/tenants', { id: TENANT, name: 'Kill test' })).status).toBe(201)
  const paths = ['/fast/a', '/slow/b', '/slow/c']
  const receivers: Record<string, Receiver> = { '/fast/a': fast, '/slow/b': slow, '/slow/c': slow }
  for (const p of paths) {
    const r = await api('POST', `/v1/tenants/${TENANT}/endpoints`, { url: receivers[p]!.url + p, eventTypes: ['order.*'], timeoutSeconds: 10 })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
  }
  // A fourth endpoint that does not match the type: it must receive nothing.
  expect((await api('POST', `/v1/tenants/${TENANT}/endpoints`, { url: `${fast.url}/nomatch`, eventTypes: ['invoice.*'] })).status).toBe(201)

  const accepted = new Set<string>()
  const unexpectedStatuses = new Map<number, number>()
  let failedRequests = 0
  let wrongDeliveryCount = 0
  let attempted = 0
  let killed = false
  const allHits = (): ReceiverHit[] => [...fast.hits, ...slow.hits]

  const publisher = async (loop: number): Promise<void> => {
    for (let seq = 0; !killed && attempted < s.maxPublishes; seq++) {
      attempted++
      try {
        const res = await fetch(`${first.url}/v1/tenants/${TENANT}/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CHILD_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: EVENT_TYPE, payload: { loop, seq } }),
        })
        const body = (await res.json()) as { id?: string; deliveryCount?: number }
        if (res.status === 202 && body.id) {
          // Recorded only once the 202 has been read in full: that is what "accepted" means.
          accepted.add(body.id)
          if (body.deliveryCount !== paths.length) wrongDeliveryCount++
        } else {
          unexpectedStatuses.set(res.status, (unexpectedStatuses.get(res.status) ?? 0) + 1)
        }
      } catch {
        // Cut off by the kill: the outcome is unknown to the client, so it is not counted as accepted.
        failedRequests++
        if (!killed) await sleep(5)
      }
    }
  }

  const startedAt = Date.now()
  const loops = Array.from({ length: PARALLEL_PUBLISHERS }, (_, i) => publisher(i))
  let publishing = true
  void Promise.all(loops).then(() => {
    publishing = false
  })
  // Bounded wait for the kill moment (at most 15 s; then kill anyway).
  while (Date.now() - startedAt < 15_000) {
    if (s.killWhen({ accepted: accepted.size, hits: allHits().length, publishing, sinceStartMs: Date.now() - startedAt })) break
    await sleep(10)
  }
  const slowInFlightAtKill = slow.hits.filter((h) => Date.now() - h.receivedAt < slowDelay).length
  first.kill('SIGKILL')
  killed = true
  const firstExit = await first.exited
  expect(firstExit.signal).toBe('SIGKILL')
  await Promise.all(loops)
  const hitsBeforeRestart = allHits().length
  const acceptedAtKill = accepted.size
  // Speed the drain up: the in-flight attempts at kill time were what the delay was for.
  slowDelay = 0

  // --- second life: same data directory; everything accepted must arrive everywhere ---
  const second = await spawnServer({ dataDir, env: LEASE_ENV })
  api = childApi(second.url)
  const expected = new Set<string>()
  for (const id of accepted) for (const p of paths) expected.add(`${id} ${p}`)
  const seen = (): Set<string> => new Set(allHits().map((h) => `${String(h.headers['webhook-id'])} ${h.url}`))
  const deadline = Date.now() + 30_000
  let missing: string[] = []
  for (;;) {
    const got = seen()
    missing = [...expected].filter((k) => !got.has(k))
    if (missing.length === 0 || Date.now() > deadline) break
    await sleep(100)
  }

  const hits = allHits()
  const matching = hits.filter((h) => paths.includes(h.url))
  const distinct = new Set(matching.map((h) => `${String(h.headers['webhook-id'])} ${h.url}`))
  const duplicates = matching.length - distinct.size
  const dupByPath = Object.fromEntries(paths.map((p) => [p, matching.filter((h) => h.url === p).length - [...distinct].filter((k) => k.endsWith(` ${p}`)).length]))
  const unacknowledgedButDelivered = [...new Set(matching.map((h) => String(h.headers['webhook-id'])))].filter((id) => !accepted.has(id)).length
  console.log(
    `[process-kill] ${s.name}: publishes attempted ${attempted}, accepted (202) ${acceptedAtKill}, ` +
      `cut off by the kill ${failedRequests}, deliveries expected ${expected.size}, ` +
      `receiver hits before restart ${hitsBeforeRestart} (slow receiver requests in flight at kill ~${slowInFlightAtKill}), ` +
      `hits in all ${matching.length}, duplicates ${duplicates} ${JSON.stringify(dupByPath)}, ` +
      `delivered without a 202 seen (cut-off publishes that committed) ${unacknowledgedButDelivered}, missing ${missing.length}`,
  )

  expect(acceptedAtKill, 'some publishes were accepted before the kill').toBeGreaterThan(0)
  expect(Object.fromEntries(unexpectedStatuses), 'every answered publish was a 202').toEqual({})
  expect(wrongDeliveryCount, 'every accepted event fanned out to the 3 matching endpoints').toBe(0)
  expect(missing.slice(0, 20), `${missing.length} accepted (event, endpoint) pairs never delivered`).toEqual([])
  expect(hits.filter((h) => h.url === '/nomatch')).toHaveLength(0)

  // The restarted server also shuts down cleanly.
  second.kill('SIGTERM')
  const secondExit = await second.exited
  expect(secondExit, second.stderr.join('\n')).toEqual({ code: 0, signal: null })
}

describe('SIGKILL at any moment loses no accepted event', () => {
  it('killed during heavy concurrent publishing', { timeout: 60_000 }, async () => {
    await runScenario({
      name: 'kill while publishing',
      slowDelayMs: 50,
      maxPublishes: 2000,
      // ~1.2 s into the publishing, or as soon as the bound is nearly reached.
      killWhen: ({ sinceStartMs, accepted }) => sinceStartMs >= 1200 || accepted >= 1800,
    })
  })

  it('killed while many attempts are in flight at a slow receiver', { timeout: 60_000 }, async () => {
    await runScenario({
      name: 'kill with attempts in flight',
      slowDelayMs: 400,
      maxPublishes: 400,
      // Publishing is done or nearly, and the slow receiver holds a full window of requests.
      killWhen: ({ hits, accepted, sinceStartMs }) => (accepted >= 300 && hits >= 100) || sinceStartMs >= 8000,
    })
  })
})
