import type { Store } from '../store/store.js'
import { IDEMPOTENCY_WINDOW_MS } from './publisher.js'

/** How often old rows are deleted. */
const EVERY_MS = 3600 * 1000
/** Idempotency keys deleted per statement; the event loop gets a turn between statements. */
const KEYS_PER_BATCH = 5000
/**
 * Events deleted per statement (each its own short transaction, with its deliveries and attempts):
 * small, so a publish waiting for the SQLite writer or the same PostgreSQL rows waits little.
 */
export const EVENTS_PER_BATCH = 200
/** The shortest pause between two batches of events. */
const PAUSE_MIN_MS = 5

/**
 * Deletes what has outlived its use, soon after start and then hourly: events older than the
 * retention period (HOOKRELAY_RETENTION, default 30 days) whose deliveries are all final, with
 * their deliveries and attempts (pending deliveries are never touched), in batches of
 * EVENTS_PER_BATCH with a turn of the event loop between them; logs of received requests older
 * than the retention period; and publish idempotency
 * keys whose 24-hour window is over. Returns a function that stops it.
 */
export function startRetention(
  store: Pick<Store, 'pruneSourceRequests' | 'pruneIdempotencyKeys' | 'pruneFinalEvents'>,
  retentionMs: number,
  now: () => number = Date.now,
  firstAfterMs = 10_000,
): () => void {
  let stopped = false
  let pruningEvents = false
  const pruneEvents = async (before: number): Promise<void> => {
    if (pruningEvents) return // the previous pass is still going
    pruningEvents = true
    try {
      for (;;) {
        const t0 = performance.now()
        const deleted = await store.pruneFinalEvents(before, EVENTS_PER_BATCH)
        if (stopped || deleted < EVENTS_PER_BATCH) break
        // A pause at least as long as the batch took: publishes get the writer (and, on SQLite,
        // the main thread) at least half the time, and a pass over a large backlog simply takes
        // longer. Measured in bench/ (retention).
        await new Promise<void>((resolve) => setTimeout(resolve, Math.max(PAUSE_MIN_MS, performance.now() - t0)))
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
