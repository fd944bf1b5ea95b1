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
  /** Messages of jobs sent to threads (each carries up to BATCH of one tenant's jobs). */
  readonly batches: number
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
  /** The jobs it was given in one message (one tenant's, in order), until their results are back; empty when free. */
  batch: Pending[]
  timer: NodeJS.Timeout | null
}

/**
 * Jobs of one tenant a thread takes in one message. A message to a thread and back cost more CPU
 * than a typical render (bench/render-cost.ts), so a thread takes what waits, a few at a time,
 * and sends their results back together: this many keeps a batch's results within about a
 * millisecond of its first.
 */
const BATCH = 16

export function createRenderPool(opts: RenderPoolOptions = {}): RenderPool {
  const size = opts.size ?? 2
  const graceMs = opts.graceMs ?? 200
  const threads = new Set<Thread>()
  const queue = new TenantFairQueue<Pending>({ slots: size, penaltyMs: opts.penaltyMs ?? 10_000 })
  let nextId = 0
  let stopped = 0
  let finished = 0
  let batches = 0
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
    const t: Thread = { worker: startWorker(import.meta.url, 'render-worker', data, limits), shared: new Int32Array(buffer), clockBase, ready: false, ended: false, batch: [], timer: null }
    threads.add(t)
    t.worker.on('message', (msg: FromRenderThread) => {
      if (t.ended) return
      if (msg.kind === 'ready') {
        t.ready = true
        backoffMs = 0
        return dispatch()
      }
      const batch = t.batch
      if (batch.length === 0 || msg.results[0]?.id !== batch[0]!.id) return
      release(t, false)
      finished += batch.length
      batch.forEach((p, i) => p.resolve(msg.results[i]!.result))
      dispatch()
    })
    t.worker.on('error', (err: Error & { code?: string }) => {
      died(t, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'it ran out of memory (the render thread heap limit)' : `the render thread failed: ${err.message}`)
    })
    t.worker.on('exit', (code) => died(t, `the render thread exited with code ${code}`))
  }

  /**
   * The thread's batch is over: its slot is free. `overran`: one of its jobs ran past its deadline
   * or took the thread down; the tenant goes behind (TenantFairQueue). Returns the batch.
   */
  const release = (t: Thread, overran: boolean): Pending[] => {
    if (t.timer !== null) clearTimeout(t.timer)
    t.timer = null
    const batch = t.batch
    t.batch = []
    running -= batch.length
    if (batch.length > 0) queue.finish(batch[0]!.tenant, overran, Date.now())
    return batch
  }

  /**
   * The thread ended in the middle of its batch: the job at `at` (if there is one) fails with what
   * `why` makes of it, and the rest go back to the head of their tenant's queue: those before it
   * had finished, but their results were to travel with the batch's; those after it had not begun.
   * Renders are pure, so running them again gives the same requests.
   */
  const failOne = (t: Thread, at: number, why: (job: RenderJob) => RenderJobResult<RenderJob>, overran: boolean): void => {
    const batch = t.batch
    const failed = batch[at]
    if (batch.length > 0) queue.putBack(batch[0]!.tenant, batch.filter((p) => p !== failed))
    release(t, overran)
    if (failed === undefined) return
    finished++
    failed.resolve(why(failed.job))
  }

  /**
   * Gives each free thread the next jobs the fair queue lets start. A free thread may stay idle
   * while jobs wait (their tenant is at its cap): it is kept for another tenant's job, and lets the
   * process exit meanwhile.
   */
  const dispatch = (): void => {
    for (const t of threads) {
      if (!t.ready || t.ended || t.batch.length > 0) continue
      const taken = queue.takeBatch(Date.now(), BATCH)
      if (taken === undefined) {
        t.worker.unref()
        continue
      }
      t.batch = taken.items
      running += taken.items.length
      t.worker.ref()
      batches++
      t.worker.postMessage({ jobs: taken.items.map((p) => ({ id: p.id, job: p.job })) } satisfies ToRenderThread)
      arm(t, taken.items[0]!.deadlineMs)
    }
  }

  const arm = (t: Thread, ms: number): void => {
    t.timer = setTimeout(() => watch(t), ms)
  }

  /**
   * A job's deadline counts from when the thread started it (it says so in shared memory), not
   * from when it was posted: a thread still starting, collecting garbage or rendering the batch's
   * earlier jobs has not used any of it.
   */
  const watch = (t: Thread): void => {
    t.timer = null
    const batch = t.batch
    if (batch.length === 0 || t.ended) return
    const done = Atomics.load(t.shared, SLOT.done)
    // Every job finished in time; the results are waiting behind whatever held up this event loop.
    if (done === batch[batch.length - 1]!.id) return
    const started = Atomics.load(t.shared, SLOT.started)
    const at = batch.findIndex((p) => p.id === started)
    if (at < 0) return arm(t, batch[0]!.deadlineMs)
    // Between two jobs: the next one's time has not begun.
    if (done === started) return arm(t, batch[at + 1]!.deadlineMs)
    const p = batch[at]!
    const ran = Date.now() - t.clockBase - Atomics.load(t.shared, SLOT.startedAt)
    if (ran < p.deadlineMs) return arm(t, p.deadlineMs - ran)
    const field = Atomics.load(t.shared, SLOT.field)
    end(t)
    stopped++
    failOne(t, at, (job) => stoppedJob(job, field >= 0 ? field : null, STOPPED_SLOW, true), true)
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
    if (t.batch.length > 0) {
      stopped++
      const started = Atomics.load(t.shared, SLOT.started)
      const at = t.batch.findIndex((p) => p.id === started)
      const rendering = at >= 0 && Atomics.load(t.shared, SLOT.done) !== started
      const field = rendering ? Atomics.load(t.shared, SLOT.field) : -1
      // Died rendering a job (out of its heap): that job fails, the template's doing, and its
      // tenant goes behind. Died before a job began: the next one fails, not as the template's
      // doing (transient), so that a thread that keeps dying still ends every job in turn.
      failOne(t, rendering ? at : at + 1, (job) => stoppedJob(job, field >= 0 ? field : null, reason, !rendering), rendering)
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
    get batches() {
      return batches
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
          const batch = release(t, false)
          finished += batch.length
          for (const p of batch) p.resolve(stoppedJob(p.job, null, 'the renderer is closed', true))
          return t.worker.terminate()
        }),
      )
    },
  }
}
