/**
 * A restart with runaway templates pending (issue 12, item 1): a `--role api` server takes events
 * for an endpoint whose template runs for minutes in one filter and for another tenant's
 * endpoints, then a `--role all` server starts on the same data and delivers them. It comes up,
 * answers /healthz, delivers the other tenant's events, fails the runaway ones with kind
 * `template`, and keeps running: nothing blocks or crash-loops. Real processes, loopback only.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TOO_SLOW } from '../../src/core/shaping/templates.js'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { startReceiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS } from './api-support.js'

const RUNAWAY = '{% assign a = (1..20000) %}{% assign r = a | has_exp: "i", "a contains 0" %}{{ r }}'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  await killAllChildren()
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('restart with runaway templates pending', () => {
  it('starts, delivers the other tenant and fails the runaways with kind template', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-tpl-restart-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const hostileRcv = await startReceiver()
    const otherRcv = await startReceiver()
    cleanups.push(() => hostileRcv.close(), () => otherRcv.close())

    const first = await spawnServer({ dataDir, args: ['--role', 'api'] })
    let api = childApi(first.url)
    for (const id of ['rr-hostile', 'rr-other']) expect((await api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)
    const hostile = await api('POST', '/v1/tenants/rr-hostile/endpoints', { url: `${hostileRcv.url}/h`, retry: { maxRetries: 0 }, payload: { format: 'text', template: RUNAWAY } })
    expect(hostile.status, JSON.stringify(hostile.body)).toBe(201)
    for (const [path, payload] of [['/plain', undefined], ['/tpl', { format: 'text', template: 'n={{ event.data.n }}' }]] as const) {
      expect((await api('POST', '/v1/tenants/rr-other/endpoints', { url: `${otherRcv.url}${path}`, ...(payload ? { payload } : {}) })).status).toBe(201)
    }
    const hostileEvents: string[] = []
    for (let i = 0; i < 3; i++) {
      const pub = await api('POST', '/v1/tenants/rr-hostile/events', { type: 'x.y', payload: { i } })
      expect(pub.status).toBe(202)
      hostileEvents.push(pub.body.id)
    }
    for (let n = 0; n < 2; n++) expect((await api('POST', '/v1/tenants/rr-other/events', { type: 'x.y', payload: { n } })).status).toBe(202)
    first.kill('SIGTERM')
    expect(await first.exited).toEqual({ code: 0, signal: null })

    const second = await spawnServer({ dataDir })
    api = childApi(second.url)
    expect((await api('GET', '/healthz', undefined)).status).toBe(200)
    const hits = await otherRcv.waitForHits(4, DELIVERY_WAIT_MS)
    expect(hits.map((h) => `${h.url} ${h.url === '/tpl' ? h.body : JSON.parse(h.body).data.n}`).sort()).toEqual(['/plain 0', '/plain 1', '/tpl n=0', '/tpl n=1'])
    for (const id of hostileEvents) {
      const d = await eventually(async () => {
        const r = await api('GET', `/v1/tenants/rr-hostile/events/${id}`)
        return r.body.deliveries?.[0]?.status === 'failed' ? r.body.deliveries[0] : null
      }, DELIVERY_WAIT_MS)
      const attempts = (await api('GET', `/v1/tenants/rr-hostile/deliveries/${d.id}`)).body.attempts
      expect(attempts).toHaveLength(1)
      expect(attempts[0].error).toEqual({ kind: 'template', message: expect.stringContaining(`template failed to render: ${TOO_SLOW}`) })
    }
    expect(hostileRcv.hits).toHaveLength(0)
    expect((await api('GET', '/healthz', undefined)).status).toBe(200)
    expect(second.done).toBe(false)
    second.kill('SIGTERM')
    expect(await second.exited).toEqual({ code: 0, signal: null })
  })
})
