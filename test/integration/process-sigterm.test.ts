/**
 * SIGTERM: the real server (a child process) stops taking work, lets in-flight attempts finish or
 * hands their leases back, and exits 0 within the endpoint timeout; after a restart on the same data
 * directory nothing is lost, and what finished before the exit is not sent again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, runCli, spawnServer, CHILD_ADMIN_TOKEN } from '../helpers/child-server.js'
import { startReceiver, type ReceiverHit } from '../helpers/receiver.js'

const TENANT = 'term-test'
const ENDPOINT_TIMEOUT_S = 10

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  await killAllChildren()
  for (const c of cleanups.splice(0).reverse()) await c()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pairOf = (h: ReceiverHit): string => `${String(h.headers['webhook-id'])} ${h.url}`

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(50)
  }
}

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-term-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('SIGTERM', () => {
  it('a SIGTERM the moment the listening line is out still stops gracefully: exit 0', { timeout: 60_000 }, async () => {
    const server = await spawnServer({ dataDir: newDataDir() })
    server.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
    // Nor did starting print a Node or Fastify warning (a deprecated option, say) to the operator.
    expect(server.stderr.filter((l) => /Warning|DEP\d/.test(l))).toEqual([])
  })

  it('finishes in-flight attempts, exits 0 within the endpoint timeout, and loses nothing', { timeout: 60_000 }, async () => {
    const dataDir = newDataDir()
    let delayMs = 500
    const rcv = await startReceiver(() => ({ delayMs }))
    cleanups.push(() => rcv.close())

    const first = await spawnServer({ dataDir })
    let api = childApi(first.url)
    expect((await api('POST', '/v1/tenants', { id: TENANT, name: 'Term test' })).status).toBe(201)
    const paths = ['/term/a', '/term/b']
    const endpointPath = new Map<string, string>()
    for (const p of paths) {
      const r = await api('POST', `/v1/tenants/${TENANT}/endpoints`, { url: rcv.url + p, timeoutSeconds: ENDPOINT_TIMEOUT_S })
      expect(r.status).toBe(201)
      endpointPath.set(r.body.id, p)
    }

    // 60 events x 2 endpoints: 16 attempts per endpoint in flight at a time, the rest queued.
    const accepted: string[] = []
    await Promise.all(
      Array.from({ length: 6 }, async (_, loop) => {
        for (let i = 0; i < 10; i++) {
          const r = await api('POST', `/v1/tenants/${TENANT}/events`, { type: 'job.done', payload: { loop, i } })
          expect(r.status).toBe(202)
          accepted.push(r.body.id)
        }
      }),
    )
    // Attempts are in flight: the receiver holds them for 500 ms.
    await rcv.waitForHits(10, 15_000)
    const hitsAtSignal = rcv.hits.length
    const t0 = Date.now()
    first.kill('SIGTERM')
    const exit = await first.exited
    const stopMs = Date.now() - t0
    const completedBeforeExit = new Set(rcv.hits.map(pairOf))
    console.log(
      `[process-sigterm] hits when SIGTERM was sent ${hitsAtSignal}, received before exit ${completedBeforeExit.size}, ` +
        `of ${accepted.length * paths.length} deliveries; exit after ${stopMs} ms`,
    )
    expect(exit, `stderr:\n${first.stderr.join('\n')}`).toEqual({ code: 0, signal: null })
    expect(stopMs).toBeLessThan(ENDPOINT_TIMEOUT_S * 1000)
    expect(first.stderr.join('\n')).not.toMatch(/error/i)

    // The schema is up to date and the database is not left locked.
    const migrate = await runCli(['migrate', '--data-dir', dataDir])
    expect(migrate.code, migrate.stderr.join('\n')).toBe(0)

    // Second life: everything arrives; what finished before the exit was recorded and is not resent.
    delayMs = 0
    const second = await spawnServer({ dataDir })
    api = childApi(second.url)
    const expected = accepted.flatMap((id) => paths.map((p) => `${id} ${p}`))
    await until('every accepted delivery arrives after the restart', () => {
      const got = new Set(rcv.hits.map(pairOf))
      return expected.every((k) => got.has(k))
    }, 30_000)
    const counts = new Map<string, number>()
    for (const h of rcv.hits) counts.set(pairOf(h), (counts.get(pairOf(h)) ?? 0) + 1)
    const resent = [...completedBeforeExit].filter((k) => (counts.get(k) ?? 0) > 1)
    expect(resent, 'attempts that completed before the exit were sent again').toEqual([])

    // Every delivery ends succeeded; those that completed in the first life with exactly one attempt.
    for (const eventId of accepted) {
      await until(`deliveries of ${eventId} settled`, async () => {
        const r = await api('GET', `/v1/tenants/${TENANT}/deliveries?eventId=${eventId}`)
        return r.status === 200 && r.body.data.length === paths.length && r.body.data.every((d: any) => d.status === 'succeeded')
      }, 10_000)
      const r = await api('GET', `/v1/tenants/${TENANT}/deliveries?eventId=${eventId}`)
      for (const d of r.body.data) {
        const key = `${eventId} ${endpointPath.get(d.endpointId)}`
        if (completedBeforeExit.has(key)) expect(d.attemptCount, key).toBe(1)
      }
    }

    second.kill('SIGTERM')
    expect(await second.exited).toEqual({ code: 0, signal: null })
  })

  it('with attempts hanging at the receiver: exits 0 once they time out, and they are retried after a restart', { timeout: 60_000 }, async () => {
    const dataDir = newDataDir()
    const timeoutSeconds = 2
    let hang = true
    const rcv = await startReceiver(() => (hang ? { hang: true } : {}))
    cleanups.push(() => rcv.close())

    const first = await spawnServer({ dataDir })
    let api = childApi(first.url)
    expect((await api('POST', '/v1/tenants', { id: TENANT, name: 'Term test' })).status).toBe(201)
    expect((await api('POST', `/v1/tenants/${TENANT}/endpoints`, { url: `${rcv.url}/hang`, timeoutSeconds })).status).toBe(201)
    const accepted: string[] = []
    for (let i = 0; i < 5; i++) {
      const r = await api('POST', `/v1/tenants/${TENANT}/events`, { type: 'job.done', payload: { i } })
      expect(r.status).toBe(202)
      accepted.push(r.body.id)
    }
    await rcv.waitForHits(5, 15_000)
    const t0 = Date.now()
    first.kill('SIGTERM')
    const exit = await first.exited
    const stopMs = Date.now() - t0
    console.log(`[process-sigterm] hanging receiver: exit after ${stopMs} ms (endpoint timeout ${timeoutSeconds * 1000} ms)`)
    expect(exit, `stderr:\n${first.stderr.join('\n')}`).toEqual({ code: 0, signal: null })
    // The attempts end at the endpoint timeout; the rest is slack for a busy machine.
    expect(stopMs).toBeLessThan(timeoutSeconds * 1000 + 8000)

    hang = false
    const second = await spawnServer({ dataDir })
    api = childApi(second.url)
    for (const eventId of accepted) {
      await until(`${eventId} delivered after the restart`, async () => {
        const r = await api('GET', `/v1/tenants/${TENANT}/deliveries?eventId=${eventId}`)
        return r.status === 200 && r.body.data.length === 1 && r.body.data[0].status === 'succeeded'
      }, 20_000)
      const list = await api('GET', `/v1/tenants/${TENANT}/deliveries?eventId=${eventId}`)
      const d = await api('GET', `/v1/tenants/${TENANT}/deliveries/${list.body.data[0].id}`)
      // The attempt in flight at SIGTERM was recorded (a timeout), not dropped.
      expect(d.body.attempts.map((a: any) => a.error?.kind ?? 'ok')).toEqual(['timeout', 'ok'])
    }
    second.kill('SIGTERM')
    expect(await second.exited).toEqual({ code: 0, signal: null })
  })

  it('during concurrent publishing: exits 0 and every 202 is delivered after a restart', { timeout: 60_000 }, async () => {
    const dataDir = newDataDir()
    let delayMs = 100
    const rcv = await startReceiver(() => ({ delayMs }))
    cleanups.push(() => rcv.close())

    const first = await spawnServer({ dataDir })
    let api = childApi(first.url)
    expect((await api('POST', '/v1/tenants', { id: TENANT, name: 'Term test' })).status).toBe(201)
    expect((await api('POST', `/v1/tenants/${TENANT}/endpoints`, { url: `${rcv.url}/pub`, timeoutSeconds: ENDPOINT_TIMEOUT_S })).status).toBe(201)

    const accepted = new Set<string>()
    const statuses = new Map<string, number>()
    let signalled = false
    let attempted = 0
    const loops = Array.from({ length: 8 }, async (_, loop) => {
      // Bounded: at most 3000 publishes in all; stops at the first refusal once the signal is sent.
      for (let i = 0; attempted < 3000; i++) {
        attempted++
        let status: string
        try {
          const res = await fetch(`${first.url}/v1/tenants/${TENANT}/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${CHILD_ADMIN_TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'job.done', payload: { loop, i } }),
          })
          const body = (await res.json().catch(() => null)) as { id?: string } | null
          status = String(res.status)
          if (res.status === 202 && body?.id) accepted.add(body.id)
        } catch {
          status = 'connection error'
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
        if (status !== '202') {
          if (signalled) return
          await sleep(5)
        }
      }
    })
    await until('some publishes accepted', () => accepted.size >= 20, 15_000)
    await sleep(500)
    const t0 = Date.now()
    first.kill('SIGTERM')
    signalled = true
    const exit = await first.exited
    const stopMs = Date.now() - t0
    await Promise.all(loops)
    console.log(`[process-sigterm] publishing: accepted ${accepted.size}, outcomes ${JSON.stringify(Object.fromEntries(statuses))}, exit after ${stopMs} ms`)
    expect(exit, `stderr:\n${first.stderr.join('\n')}`).toEqual({ code: 0, signal: null })
    expect(stopMs).toBeLessThan(ENDPOINT_TIMEOUT_S * 1000)

    delayMs = 0
    const second = await spawnServer({ dataDir })
    api = childApi(second.url)
    await until('every accepted event arrives after the restart', () => {
      const got = new Set(rcv.hits.map((h) => String(h.headers['webhook-id'])))
      return [...accepted].every((id) => got.has(id))
    }, 30_000)
    const deliveredWithout202 = new Set(rcv.hits.map((h) => String(h.headers['webhook-id'])).filter((id) => !accepted.has(id)))
    console.log(`[process-sigterm] publishing: cut-off publishes that were committed and delivered anyway: ${deliveredWithout202.size}`)
    second.kill('SIGTERM')
    expect(await second.exited).toEqual({ code: 0, signal: null })
  })
})
