import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { FromWorker, SenderWorkerData, ToWorker } from './sender-worker.js'
import type { OutboundRequest, SendResult, Sender } from './sender.js'

/**
 * A Sender whose requests run on a worker thread (sender-worker.ts). Requests and results cross
 * in batches, one message per event-loop turn each way, so the per-delivery cost on the main
 * thread is a structured clone rather than the whole HTTP exchange.
 */
export function createThreadedSender(data: SenderWorkerData): Sender {
  const worker = startWorker(data)
  const waiting = new Map<number, (r: SendResult) => void>()
  let nextId = 1
  let batch: Array<{ id: number; req: OutboundRequest }> = []
  let scheduled = false
  let failed: Error | null = null
  let onClosed: (() => void) | null = null
  let closing: Promise<void> | null = null

  const fail = (err: Error): void => {
    failed = err
    const message = `sender thread stopped: ${err.message}`
    for (const resolve of waiting.values()) resolve({ startedAt: Date.now(), durationMs: 0, response: null, error: { kind: 'network', message } })
    waiting.clear()
  }
  worker.on('message', (msg: FromWorker) => {
    if (msg.kind === 'closed') return onClosed?.()
    for (const { id, result } of msg.batch) {
      const resolve = waiting.get(id)
      waiting.delete(id)
      resolve?.(result)
    }
  })
  worker.on('error', fail)
  worker.on('exit', (code) => {
    if (closing === null) fail(new Error(`exited with code ${code}`))
    onClosed?.()
  })
  // The worker stays ref'd: it is part of the server, and close() ends it. (Unref'd, it once let a
  // gracefully stopping process exit on its own in the middle of its attempts.)

  const flush = (): void => {
    scheduled = false
    const b = batch
    batch = []
    if (b.length > 0) worker.postMessage({ kind: 'send', batch: b } satisfies ToWorker)
  }

  return {
    send(req) {
      if (failed !== null || closing !== null) {
        return Promise.resolve({ startedAt: Date.now(), durationMs: 0, response: null, error: { kind: 'network', message: 'sender is closed' } })
      }
      const id = nextId++
      return new Promise<SendResult>((resolve) => {
        waiting.set(id, resolve)
        batch.push({ id, req })
        if (!scheduled) {
          scheduled = true
          queueMicrotask(flush)
        }
      })
    },
    close() {
      closing ??= (async () => {
        flush()
        if (failed === null) {
          // The worker waits for its in-flight requests (each ends within its timeout), then says so.
          await new Promise<void>((resolve) => {
            onClosed = resolve
            worker.postMessage({ kind: 'close' } satisfies ToWorker)
          })
        }
        await worker.terminate()
      })()
      return closing
    },
  }
}

/**
 * Built, the worker is plain JavaScript. Run from sources (tests, tsx) it is TypeScript, and Node 20
 * applies no `--import` hook to a worker's entry file, so a small bootstrap registers tsx first.
 */
function startWorker(data: SenderWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sender-worker.js', import.meta.url), { workerData: data, resourceLimits: WORKER_LIMITS })
  // The package's ESM entry (require.resolve would pick its CommonJS one, which cannot register hooks).
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const entry = new URL('./sender-worker.ts', import.meta.url).href
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(bootstrap, { eval: true, workerData: data, resourceLimits: WORKER_LIMITS })
}

/**
 * The thread holds only requests in flight, so a small heap suffices; without a limit V8 lets
 * garbage pile up to hundreds of MB before collecting.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 16 }
