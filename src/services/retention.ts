import type { Store } from '../store/store.js'
import { IDEMPOTENCY_WINDOW_MS } from './publisher.js'
import { FIRST_BATCH, nextBatchSize } from '../core/retention-batch.js'

/** How often old rows are deleted. */
const EVERY_MS = 3600 * 1000
/** Idempotency keys deleted per statement; the event loop gets a turn between statements. */
const KEYS_PER_BATCH = 5000
/** The shortest pause between two batches of events. */
const PAUSE_MIN_MS = 5

/**
 * Deletes what has outlived its use, soon after start and then hourly: events older than the
 * retention period (HOOKRELAY_RETENTION, default 30 days) whose deliveries are all final, with
 * their deliveries and attempts (pending deliveries are never touched), in batches sized to take
 * about BATCH_BUDGET_MS each (see core/retention-batch.ts) with a pause between them; logs of
 * received requests older than the retention period; and publish idempotency keys whose 24-hour
 * window is over. `clock` times the batches (performance.now). Returns a function that stops it.
 */
export function startRetention(
  store: Pick<Store, 'pruneSourceRequests' | 'pruneIdempotencyKeys' | 'pruneFinalEvents'>,
  retentionMs: number,
  now: () => number = Date.now,
  firstAfterMs = 10_000,
  clock: () => number = () => performance.now(),
): () => void {
  let stopped = false
  let pruningEvents = false
  const pruneEvents = async (before: number): Promise<void> => {
    if (pruningEvents) return // the previous pass is still going
    pruningEvents = true
    try {
      for (let size = FIRST_BATCH; ; ) {
        const t0 = clock()
        const deleted = await store.pruneFinalEvents(before, size)
        if (stopped || deleted < size) break
        const took = clock() - t0
        size = nextBatchSize(size, took)
        // A pause at least as long as the batch took: publishes get the writer (and, on SQLite,
        // the main thread) at least half the time, and a pass over a large backlog simply takes
        // longer. Measured in bench/ (retention).
        await new Promise<void>((resolve) => setTimeout(resolve, Math.max(PAUSE_MIN_MS, took)))
      }
    } finally {
      pruningEvents = false
    }
  }
  const pruneKeys = async (before: number): Promise<void> => {
    while (!stopped && (await store.pruneIdempotencyKeys(before, KEYS_PER_BATCH)) >= KEYS_PER_BATCH) {
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  const prune = () => {
    const t = now()
    void store.pruneSourceRequests(t - retentionMs).catch(() => 0)
    void pruneEvents(t - retentionMs).catch(() => undefined)
    void pruneKeys(t - IDEMPOTENCY_WINDOW_MS).catch(() => undefined)
  }
  const first = setTimeout(prune, firstAfterMs)
  const every = setInterval(prune, EVERY_MS)
  first.unref()
  every.unref()
  return () => {
    stopped = true
    clearTimeout(first)
    clearInterval(every)
  }
}
