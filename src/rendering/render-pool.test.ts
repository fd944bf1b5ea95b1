import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_PAYLOAD } from '../core/shaping/payload-body.js'
import { endpointRecord } from '../../test/helpers/records.js'
import { eventually } from '../../test/helpers/server.js'
import type { OpenEndpoint } from '../core/shaping/request-shape.js'
import { TOO_SLOW } from '../core/shaping/templates.js'
import { runRenderJob, STOPPED_SLOW, type RenderJob, type ShapeInput } from './render-job.js'
import { createRenderPool } from './render-pool.js'

/** A filter loop: has_exp evaluates its expression, itself a scan of the range, for every item. */
const hasExp = (n: number): string => `{% assign a = (1..${n}) %}{% assign r = a | has_exp: "i", "a contains 0" %}{{ r }}`
/** Minutes of CPU in one filter without the render thread (2.6 s at 3,000 here, over 2 minutes at 20,000). */
const RUNAWAY = hasExp(20_000)

const tenant = { id: 't1', name: 'Acme', metadata: { path: 'in' } }
const input = ({ headers = {}, ...over }: Partial<OpenEndpoint> = {}): ShapeInput => ({
  endpoint: { ...endpointRecord({ tenantId: 't1', id: 'ep_1', url: 'http://127.0.0.1:9/hook', ...over }), headers },
  tenant,
  auth: { type: 'none' },
  maxOutputBytes: 1024 * 1024,
})
const body = (template: string): Partial<OpenEndpoint> => ({ payload: { ...DEFAULT_PAYLOAD, format: 'text', template } })
const build = (over: Partial<OpenEndpoint>, n = 1): RenderJob & { kind: 'build' } => ({
  kind: 'build',
  input: input(over),
  event: { id: `evt_${n}`, type: 'a.b', occurredAt: 0, payloadJson: `{"n":${n}}` },
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  nowMs: 1_700_000_000_000,
})

/** The job as tenant `id` sends it: the pool takes turns by `input.tenant.id`. */
const of = <J extends RenderJob>(id: string, job: J): J => ({ ...job, input: { ...job.input, tenant: { ...job.input.tenant, id } } })

describe('render pool', () => {
  const pool = createRenderPool({ size: 2 })
  afterAll(() => pool.close())

  it('builds exactly the request that building on this thread makes', async () => {
    const job = build({ url: 'http://127.0.0.1:9/{{ tenant.metadata.path }}', headers: { 'X-N': '{{ endpoint.name }}' }, ...body('n={{ event.data.n }}') })
    const r = await pool.run(job)
    expect(r).toEqual(runRenderJob(job))
    expect(r).toMatchObject({ ok: true, request: { url: 'http://127.0.0.1:9/in', body: 'n=1' } })
  })

  it('renders a filter loop under the time limit', async () => {
    expect(await pool.run(build(body(hasExp(20))))).toMatchObject({ ok: true, request: { body: 'false' } })
  })

  it('stops a filter loop far over the time limit, names the field, and renders the next job on a new thread', async () => {
    const stoppedBefore = pool.stopped
    const r = await pool.run(build(body(RUNAWAY)))
    expect(r).toEqual({ ok: false, logged: expect.objectContaining({ url: 'http://127.0.0.1:9/hook' }), message: `template failed to render: ${STOPPED_SLOW}`, transient: true })
    expect(pool.stopped).toBe(stoppedBefore + 1)
    expect(await pool.run(build(body('{{ event.data.n }}'), 2))).toMatchObject({ ok: true, request: { body: '2' } })
    const inHeader = await pool.run(build({ headers: { 'X-A': 'a', 'X-B': RUNAWAY } }))
    expect(inHeader).toMatchObject({ ok: false, message: `headers/X-B template failed to render: ${STOPPED_SLOW}`, transient: true })
  })

  it('refuses a runaway URL template when checking, naming the field', async () => {
    const r = await pool.run({ kind: 'check', input: input({ url: `http://127.0.0.1:9/{{ 1 }}${RUNAWAY}` }) })
    expect(r).toEqual({ errors: [{ path: '/url', message: `template failed to render: ${STOPPED_SLOW}` }], url: null })
    expect(await pool.run({ kind: 'check', input: input({ url: 'http://127.0.0.1:9/{{ tenant.metadata.path }}' }) })).toEqual({ errors: [], url: 'http://127.0.0.1:9/in' })
  })

  it("answers other jobs while a runaway holds a thread", async () => {
    // Both threads up first, so the answers do not wait for a thread to start.
    await Promise.all([pool.run(build(body('a'))), pool.run(build(body('b')))])
    await eventually(async () => pool.ready === 2)
    const order: string[] = []
    const runaway = pool.run(build(body(RUNAWAY))).then((r) => order.push(r.ok ? 'runaway rendered' : 'runaway stopped'))
    // Another tenant's: the runaway's tenant (t1) is behind since its earlier runaways, and its own jobs wait behind this one.
    const others = Promise.all([1, 2, 3].map((n) => pool.run(of('t2', build(body('{{ event.data.n }}'), n))).then((r) => order.push(r.ok ? `${n}` : `${n} failed ${r.message}`))))
    await Promise.all([runaway, others])
    expect(order).toEqual(['1', '2', '3', 'runaway stopped'])
  })

  it('fails a render that needs more memory than the thread has, and goes on', async () => {
    const small = createRenderPool({ size: 1, heapMb: 16 })
    try {
      // Strings doubled past the heap (the output limit never sees them: nothing is printed).
      const hog = '{% assign s = "xxxxxxxxxxxxxxxx" %}{% assign all = "" | split: "" %}{% for i in (1..22) %}{% assign s = s | append: s %}{% assign all = all | push: s %}{% endfor %}{{ all | size }}'
      const r = await small.run(build(body(hog)))
      expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/memory|limit/) })
      expect(await small.run(build(body('{{ event.data.n }}'), 5))).toMatchObject({ ok: true, request: { body: '5' } })
    } finally {
      await small.close()
    }
  })

  describe('in batches', () => {
    const plain = (n: number): RenderJob & { kind: 'build' } => build(body('{{ event.data.n }}'), n)

    it("sends a thread the jobs that wait, several in one message, and answers each as building here does", async () => {
      const one = createRenderPool({ size: 1 })
      try {
        await one.run(plain(0)) // the thread up, so the next 40 wait together
        const jobs = Array.from({ length: 40 }, (_, i) => plain(i + 1))
        const before = one.batches
        const results = await Promise.all(jobs.map((j) => one.run(j)))
        expect(results).toEqual(jobs.map((j) => runRenderJob(j)))
        // One message per job would be 40; 16 jobs travel together at most.
        expect(one.batches - before).toBeGreaterThanOrEqual(3)
        expect(one.batches - before).toBeLessThanOrEqual(4)
        expect(one.finished).toBe(41)
      } finally {
        await one.close()
      }
    })

    it('stops a runaway in the middle of a batch and renders the jobs around it on the next thread', async () => {
      const one = createRenderPool({ size: 1 })
      try {
        await one.run(plain(0))
        const jobs = [plain(1), build(body(RUNAWAY), 2), plain(3), plain(4)]
        const results = await Promise.all(jobs.map((j) => one.run(j)))
        expect(results[1]).toMatchObject({ ok: false, message: `template failed to render: ${STOPPED_SLOW}`, transient: true })
        // The first had rendered before the runaway, but its result was to travel with the batch: it is rendered again.
        expect([results[0], results[2], results[3]]).toEqual([jobs[0], jobs[2], jobs[3]].map((j) => runRenderJob(j!)))
        expect(one.stopped).toBe(1)
      } finally {
        await one.close()
      }
    })

    it('fails only the job that ran the thread out of memory, and renders the rest of its batch', async () => {
      const small = createRenderPool({ size: 1, heapMb: 16 })
      try {
        await small.run(plain(0))
        const hog = '{% assign s = "xxxxxxxxxxxxxxxx" %}{% assign all = "" | split: "" %}{% for i in (1..22) %}{% assign s = s | append: s %}{% assign all = all | push: s %}{% endfor %}{{ all | size }}'
        const jobs = [plain(1), build(body(hog), 2), plain(3)]
        const results = await Promise.all(jobs.map((j) => small.run(j)))
        expect(results[1]).toMatchObject({ ok: false, message: expect.stringMatching(/memory|limit/) })
        expect([results[0], results[2]]).toEqual([jobs[0], jobs[2]].map((j) => runRenderJob(j!)))
      } finally {
        await small.close()
      }
    })
  })

  describe('shared between tenants', () => {
    /**
     * Runs `jobs` (tenant, job) queued in this order at once, and returns what finished in order:
     * `<tenant> slow` for a job that failed for time (stopped at its deadline, as a rule; on a
     * very busy machine Liquid may find its limit passed before the filter), `<tenant> <body>` for one rendered.
     */
    async function finishOrder(p: ReturnType<typeof createRenderPool>, jobs: Array<[string, RenderJob & { kind: 'build' }]>): Promise<string[]> {
      const order: string[] = []
      await Promise.all(
        jobs.map(([id, job]) =>
          p.run(of(id, job)).then((r) => order.push(r.ok ? `${id} ${r.request.body}` : r.message.includes(TOO_SLOW) ? `${id} slow` : `${id} failed ${r.message}`)),
        ),
      )
      return order
    }

    it("starts another tenant's job on the second thread while one tenant's runaways wait", async () => {
      // A cold pool: the first thread up takes a's first runaway; with one FIFO the second took
      // a's second and b waited for a runaway to be stopped (two, as both started together).
      const fresh = createRenderPool({ size: 2 })
      try {
        const order = await finishOrder(fresh, [
          ['a', build(body(RUNAWAY), 1)],
          ['a', build(body(RUNAWAY), 2)],
          ['a', build(body(RUNAWAY), 3)],
          ['b', build(body('{{ event.data.n }}'), 4)],
        ])
        expect(order.filter((o) => o === 'a slow')).toHaveLength(3)
        // Both threads may have been slow to start on a busy machine: then a's first runaway, and only it, may be stopped first.
        expect(order.indexOf('b 4')).toBeLessThanOrEqual(1)
      } finally {
        await fresh.close()
      }
    })

    it('keeps a thread free for other tenants once a tenant has had a runaway stopped', async () => {
      const p = createRenderPool({ size: 2 })
      try {
        // A runaway stopped at its deadline (on a very busy machine Liquid may fail one on its own check first: then another).
        for (let i = 0; i < 5 && p.stopped === 0; i++) expect(await p.run(of('a', build(body(RUNAWAY))))).toMatchObject({ ok: false, message: expect.stringContaining(TOO_SLOW) })
        expect(p.stopped).toBe(1)
        await Promise.all([p.run(of('w', build(body('a')))), p.run(of('w', build(body('b'))))])
        await eventually(async () => p.ready === 2)
        // a is penalised: its runaways take one thread at a time, the other stays free, and b's job
        // renders at once. With one FIFO, a's runaways took both threads and b waited for a stop.
        const order = await finishOrder(p, [
          ['a', build(body(RUNAWAY), 1)],
          ['a', build(body(RUNAWAY), 2)],
          ['b', build(body('{{ event.data.n }}'), 3)],
        ])
        expect(order).toEqual(['b 3', 'a slow', 'a slow'])
      } finally {
        await p.close()
      }
    })

    it('does not put a tenant behind for a render that finished past 50 ms within its grace (a busy machine does that)', async () => {
      // One thread, and grace enough that a 0.3 s filter (far past 50 ms) finishes rather than being stopped.
      const p = createRenderPool({ size: 1, graceMs: 20_000 })
      try {
        const slow = await p.run(of('a', build(body(hasExp(1_000)))))
        expect(slow).toMatchObject({ ok: false, message: expect.stringContaining(TOO_SLOW) })
        expect(p.stopped).toBe(0)
        // c's job takes the thread; then a's turn comes first (neither a nor b has had one since,
        // and a queued first), as it would not if a were behind.
        const order = await finishOrder(p, [
          ['c', build(body('{{ event.data.n }}'), 0)],
          ['a', build(body('{{ event.data.n }}'), 1)],
          ['b', build(body('{{ event.data.n }}'), 2)],
          ['b', build(body('{{ event.data.n }}'), 3)],
        ])
        expect(order).toEqual(['c 0', 'a 1', 'b 2', 'b 3'])
      } finally {
        await p.close()
      }
    })
  })
})
