import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * WAL checkpoints on a thread of their own. By default SQLite checkpoints inside whichever commit
 * pushes the WAL past 1,000 pages: on the event loop, copying those pages into the database file
 * and syncing it. Measured here, that was nearly half the cost of writing 2 KiB rows. This thread
 * runs PASSIVE checkpoints (which never block writers) every `intervalMs` on its own connection,
 * so the pages are copied off the event loop.
 *
 * It cannot let the WAL start over, though: that needs every frame copied at the moment a writer
 * begins, and under sustained writes new frames always arrive first. So the main connection keeps
 * an auto-checkpoint, at a far higher mark (see sqlite-store.ts): when it fires, nearly every
 * frame is copied already, so it costs the event loop little, the WAL starts over, and the writers
 * can never outrun the copying (the WAL stays bounded).
 */
export interface Checkpointer {
  stop(): Promise<void>
}

// The worker is a few lines of CommonJS run with `eval`, so it needs no file of its own in the
// bundle; it loads the same better-sqlite3 as the main thread, by absolute path.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path)
db.pragma('busy_timeout = 1000')
let timer = null
const tick = () => {
  timer = null
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or closing: the next tick tries again.
  }
  timer = setTimeout(tick, workerData.intervalMs)
}
parentPort.on('message', () => {
  if (timer) clearTimeout(timer)
  try { db.close() } catch {}
  parentPort.postMessage('stopped')
})
tick()
`

export function startCheckpointer(path: string, opts: { intervalMs?: number } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { path, driver, intervalMs: opts.intervalMs ?? 100 },
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  })
  worker.unref()
  let stopping: Promise<void> | null = null
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => void worker.terminate().finally(resolve)
        worker.once('message', done)
        worker.once('error', done)
        worker.once('exit', () => resolve())
        worker.postMessage('stop')
      })
      return stopping
    },
  }
}
