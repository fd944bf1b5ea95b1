import type { Worker } from 'node:worker_threads'
import { RENDER_LIMIT_MS } from '../core/shaping/templates.js'
import { TenantFairQueue } from '../core/tenant-fair-queue.js'
import { startWorker } from '../threads/start-worker.js'
import { renderCount, STOPPED_SLOW, stoppedJob, type RenderJob, type RenderJobResult } from './render-job.js'
import { SLOT, SLOT_COUNT, type FromRenderThread, type RenderThreadData, type ToRenderThread } from './render-thread-protocol.js'

export interface RenderPoolOptions {
  /** Render threads at most; a second starts only while the first is busy. Default 2. */
  size?: number
  /** Old-generation heap of each thread in MB, read at each thread's start: a render that needs more fails (kind `template`). Default 128. */
  heapMb?: number
  /** How long past the sum of its templates' limits (RENDER_LIMIT_MS each) a job may run before its thread is stopped. Default 200 ms. */
  graceMs?: number
  /**
   * How long a tenant's jobs go behind other tenants' (and hold at most all threads but one) after
   * one of its jobs overran its deadline (its thread was stopped) or took its thread down while
   * rendering (TenantFairQueue). Only these: a render that merely finished past its 50 ms did so
   * within the grace that absorbs a busy machine's delays, and one tenant alone on a loaded
   * machine should not lose a thread for it. Default 10 s: each overrun starts it again, so a
   * stream of runaways stays behind, while a tenant hit once by a loaded machine is soon back.
   */
  penaltyMs?: number
}

/**
 * Render threads: Liquid that users write runs here, never on the main thread, because a single
 * filter can run for minutes (`has_exp` over a range of 20,000) and Liquid's own time limit is
 * only checked between nodes. A job that runs past its deadline is stopped for real: its thread
 * is terminated (V8 interrupts the running script, wherever it is), the job answers
 * `took longer than 50 ms`, and a new thread is started for the next job. A thread that dies
 * (out of its heap) fails its job the same way.
 *
 * The threads are shared by every tenant, so waiting jobs are not one FIFO: a tenant with runaway
 * templates would put all its jobs ahead of others' and hold both threads ~250 ms per job. They
 * wait in a TenantFairQueue keyed by the job's tenant (`job.input.tenant.id`; every caller, from
 * delivery, test send, preview and endpoint save, builds the input from the tenant's record):
 * tenants take turns, none holds every thread while another waits, and a tenant whose job overran
 * its deadline goes behind the others for penaltyMs.
 */
export interface RenderPool {
  run<J extends RenderJob>(job: J): Promise<RenderJobResult<J>>
  /** Threads stopped because a job ran past its deadline or died. */
  readonly stopped: number
  /** Jobs that ran and ended, whatever their outcome (stopped ones included). */
  readonly finished: number
  /** Jobs running or waiting for a thread. */
  readonly pending: number
  /** Threads up and taking jobs. */
  readonly ready: number
  /** Fails waiting jobs and ends the threads. */
  close(): Promise<void>
}

interface Pending {
  id: number
  job: RenderJob
  tenant: string
  resolve: (r: RenderJobResult<RenderJob>) => void
  /** When its thread is stopped: RENDER_LIMIT_MS per template plus graceMs. */
  deadlineMs: number
}

interface Thread {
  worker: Worker
  shared: Int32Array
  clockBase: number
  ready: boolean
  ended: boolean
  job: Pending | null
  timer: NodeJS.Timeout | null
}

export function createRenderPool(opts: RenderPoolOptions = {}): RenderPool {
  const size = opts.size ?? 2
  const graceMs = opts.graceMs ?? 200
  const threads = new Set<Thread>()
  const queue = new TenantFairQueue<Pending>({ slots: size, penaltyMs: opts.penaltyMs ?? 10_000 })
  let nextId = 0
  let stopped = 0
  let finished = 0
  let running = 0
  let closed = false
  /** After a thread died before it was up, the next waits this long (100 ms doubling to 5 s), so a thread that cannot start does not spin a core. */
  let backoffMs = 0
  let spawnTimer: NodeJS.Timeout | null = null

  const spawn = (): void => {
    const buffer = new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT)
    const clockBase = Date.now()
    const data: RenderThreadData = { shared: buffer, clockBase }
    const limits = { maxOldGenerationSizeMb: opts.heapMb ?? 128, maxYoungGenerationSizeMb: 16 }
    const t: Thread = { worker: startWorker(import.meta.url, 'render-worker', data, limits), shared: new Int32Array(buffer), clockBase, ready: false, ended: false, job: null, timer: null }
    threads.add(t)
    t.worker.on('message', (msg: FromRenderThread) => {
      if (t.ended) return
      if (msg.kind === 'ready') {
        t.ready = true
        backoffMs = 0
        return dispatch()
      }
      const p = t.job
      if (p?.id !== msg.id) return
      finish(t, p, msg.result, false)
      dispatch()
    })
    t.worker.on('error', (err: Error & { code?: string }) => {
      died(t, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory (the render thread heap limit)' : `the render thread failed: ${err.message}`)
    })
    t.worker.on('exit', (code) => died(t, `the render thread exited with code ${code}`))
  }

  /** `overran`: the job ran past its deadline or took its thread down; its tenant goes behind (TenantFairQueue). */
  const finish = (t: Thread, p: Pending, result: RenderJobResult<RenderJob>, overran: boolean): void => {
    if (t.timer !== null) clearTimeout(t.timer)
    t.timer = null
    t.job = null
    running--
    finished++
    queue.finish(p.tenant, overran, Date.now())
    p.resolve(result)
  }

  /**
   * Gives each free thread the next job the fair queue lets start. A free thread may stay idle
   * while jobs wait (their tenant is at its cap): it is kept for another tenant's job, and lets the
   * process exit meanwhile.
   */
  const dispatch = (): void => {
    for (const t of threads) {
      if (!t.ready || t.ended || t.job !== null) continue
      const taken = queue.take(Date.now())
      if (taken === undefined) {
        t.worker.unref()
        continue
      }
      const p = taken.item
      t.job = p
      running++
      t.worker.ref()
      t.worker.postMessage({ id: p.id, job: p.job } satisfies ToRenderThread)
      arm(t, p.deadlineMs)
    }
  }

  const arm = (t: Thread, ms: number): void => {
    t.timer = setTimeout(() => watch(t), ms)
  }

  /**
   * The deadline counts from when the thread started the job (it says so in shared memory), not
   * from when it was posted: a thread still starting or collecting garbage has not used any of it.
   */
  const watch = (t: Thread): void => {
    t.timer = null
    const p = t.job
    if (p === null || t.ended) return
    // Finished in time; its result is waiting behind whatever held up this event loop.
    if (Atomics.load(t.shared, SLOT.done) === p.id) return
    if (Atomics.load(t.shared, SLOT.started) !== p.id) return arm(t, p.deadlineMs)
    const ran = Date.now() - t.clockBase - Atomics.load(t.shared, SLOT.startedAt)
    if (ran < p.deadlineMs) return arm(t, p.deadlineMs - ran)
    const field = Atomics.load(t.shared, SLOT.field)
    end(t)
    stopped++
    finish(t, p, stoppedJob(p.job, field >= 0 ? field : null, STOPPED_SLOW, true), true)
    void t.worker.terminate()
    dispatch()
    pump()
  }

  const end = (t: Thread): void => {
    t.ended = true
    threads.delete(t)
  }

  const died = (t: Thread, reason: string): void => {
    if (t.ended) return
    end(t)
    const p = t.job
    if (p !== null) {
      stopped++
      const started = Atomics.load(t.shared, SLOT.started) === p.id
      const field = started ? Atomics.load(t.shared, SLOT.field) : -1
      // Died rendering it (out of its heap): the template's doing, and its tenant goes behind. Died before it began: not.
      finish(t, p, stoppedJob(p.job, field >= 0 ? field : null, reason, !started), started)
    }
    if (closed) return
    if (!t.ready) {
      backoffMs = Math.min(Math.max(backoffMs * 2, 100), 5000)
      // Nothing can render: jobs fail rather than wait for a thread that may never come up.
      if (![...threads].some((o) => o.ready)) for (const w of queue.drain()) w.resolve(stoppedJob(w.job, null, reason, true))
    }
    dispatch()
    pump()
  }

  /** Starts a thread when jobs wait for one and there is room. */
  const pump = (): void => {
    if (closed || spawnTimer !== null || queue.waiting === 0 || threads.size >= size) return
    const starting = [...threads].filter((t) => !t.ready).length
    if (starting >= queue.waiting) return
    if (backoffMs === 0) return spawn()
    spawnTimer = setTimeout(() => {
      spawnTimer = null
      pump()
    }, backoffMs)
    spawnTimer.unref()
  }

  return {
    run<J extends RenderJob>(job: J): Promise<RenderJobResult<J>> {
      return new Promise<RenderJobResult<J>>((resolve) => {
        if (closed) return resolve(stoppedJob(job, null, 'the renderer is closed', true))
        nextId = nextId >= 0x7fffffff ? 1 : nextId + 1
        const deadlineMs = renderCount(job.input) * RENDER_LIMIT_MS + graceMs
        const tenant = job.input.tenant.id
        queue.push(tenant, { id: nextId, job, tenant, resolve: resolve as (r: RenderJobResult<RenderJob>) => void, deadlineMs })
        dispatch()
        pump()
      })
    },
    get stopped() {
      return stopped
    },
    get finished() {
      return finished
    },
    get pending() {
      return running + queue.waiting
    },
    get ready() {
      return [...threads].filter((t) => t.ready).length
    },
    async close() {
      closed = true
      if (spawnTimer !== null) clearTimeout(spawnTimer)
      for (const p of queue.drain()) p.resolve(stoppedJob(p.job, null, 'the renderer is closed', true))
      await Promise.all(
        [...threads].map((t) => {
          end(t)
          if (t.job !== null) finish(t, t.job, stoppedJob(t.job.job, null, 'the renderer is closed', true), false)
          return t.worker.terminate()
        }),
      )
    },
  }
}
