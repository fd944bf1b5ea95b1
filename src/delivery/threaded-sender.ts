import type { Worker } from 'node:worker_threads'
import { startWorker } from '../threads/start-worker.js'
import { decodeResults, encodeRequest, type Flat } from './sender-messages.js'
import type { FromWorker, SenderWorkerData, ToWorker } from './sender-worker.js'
import type { SendResult, Sender } from './sender.js'

/** A Sender on a thread of its own, which can say whether it is able to send right now. */
export interface ThreadedSender extends Sender {
  /** Why sending is broken at the moment (the thread died and its replacement is not up yet), or null. */
  problem(): string | null
  /** Sender threads started after the first one, because one died. */
  readonly restarts: number
}

/**
 * A Sender whose requests run on a worker thread (sender-worker.ts). Requests and results cross
 * in batches, one message per event-loop turn each way (setImmediate), each batch a flat array
 * (sender-messages.ts), so the per-delivery cost on the main thread is the clone of a few strings
 * rather than the whole HTTP exchange.
 *
 * A thread that dies (out of memory, a bug) is replaced at once: the attempts it had in flight
 * resolve as network failures, which the retry policy retries, and later sends go to the new
 * thread, which takes them as soon as it is up. Until then problem() says why (`/healthz` 503).
 * A thread that dies again before it was up is replaced after a back-off (100 ms doubling to 5 s),
 * so a thread that cannot start does not spin a core.
 */
export function createThreadedSender(data: SenderWorkerData): ThreadedSender {
  const waiting = new Map<number, (r: SendResult) => void>()
  let nextId = 1
  let batch: Flat = []
  let scheduled = false
  let closing: Promise<void> | null = null
  let onClosed: (() => void) | null = null
  let broken: string | null = null
  let restarts = 0
  let backoffMs = 0
  let restartTimer: NodeJS.Timeout | null = null
  let worker: Worker
  /** The current worker died and its replacement waits for its back-off. */
  let workerDead = false

  const settleAll = (message: string): void => {
    const now = Date.now()
    for (const resolve of waiting.values()) resolve({ startedAt: now, durationMs: 0, response: null, error: { kind: 'network', message } })
    waiting.clear()
  }

  const spawn = (): void => {
    const w = startWorker(import.meta.url, 'sender-worker', data, WORKER_LIMITS)
    worker = w
    workerDead = false
    let ready = false
    let dead = false
    const died = (reason: string): void => {
      if (dead) return
      dead = true
      workerDead = true
      if (closing !== null) return onClosed?.()
      // The requests it held are lost with it: they end as failed attempts and are retried.
      broken = `sender thread stopped: ${reason}`
      settleAll(broken)
      backoffMs = ready ? 0 : Math.min(Math.max(backoffMs * 2, 100), 5000)
      const restart = (): void => {
        restartTimer = null
        if (closing !== null) return
        restarts++
        spawn()
      }
      if (backoffMs === 0) restart()
      else restartTimer = setTimeout(restart, backoffMs)
    }
    w.on('message', (msg: FromWorker) => {
      if (msg === 'ready') {
        ready = true
        backoffMs = 0
        broken = null
        return
      }
      if (msg === 'closed') return onClosed?.()
      decodeResults(msg, delivered)
    })
    w.on('error', (err) => died(err.message))
    w.on('exit', (code) => died(`exited with code ${code}`))
    // The worker stays ref'd: it is part of the server, and close() ends it. (Unref'd, it once let a
    // gracefully stopping process exit on its own in the middle of its attempts.)
  }
  spawn()

  const delivered = (id: number, result: SendResult): void => {
    const resolve = waiting.get(id)
    waiting.delete(id)
    resolve?.(result)
  }

  const flush = (): void => {
    scheduled = false
    const b = batch
    batch = []
    // Posted to a thread still starting, the batch waits in its queue until it is up.
    if (b.length > 0) worker.postMessage(b satisfies ToWorker)
  }

  return {
    send(req) {
      if (closing !== null) {
        return Promise.resolve({ startedAt: Date.now(), durationMs: 0, response: null, error: { kind: 'network', message: 'sender is closed' } })
      }
      const id = nextId++
      return new Promise<SendResult>((resolve) => {
        waiting.set(id, resolve)
        encodeRequest(batch, id, req)
        // One message per event-loop turn: a delivery's send comes at the end of a chain of awaits,
        // so a microtask flush ran before most of the turn's other sends had joined, and each
        // postMessage (a structured clone, a wake-up of the thread) carried one or two requests.
        if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
    },
    problem: () => broken,
    get restarts() {
      return restarts
    },
    close() {
      closing ??= (async () => {
        if (restartTimer !== null) clearTimeout(restartTimer)
        flush()
        // The worker waits for its in-flight requests (each ends within its timeout), then says so;
        // a worker that dies meanwhile ends the wait too.
        await new Promise<void>((resolve) => {
          onClosed = resolve
          if (workerDead) resolve()
          else worker.postMessage('close' satisfies ToWorker)
        })
        settleAll('sender is closed')
        await worker.terminate()
      })()
      return closing
    },
  }
}

/**
 * The thread holds only requests in flight, so a small heap suffices; without a limit V8 lets
 * garbage pile up to hundreds of MB before collecting.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 16 }
