import type { Store } from '../store/store.js'
import { IDEMPOTENCY_WINDOW_MS } from './publisher.js'

/** How often old rows are deleted. */
const EVERY_MS = 3600 * 1000
/** Idempotency keys deleted per statement; the event loop gets a turn between statements. */
const KEYS_PER_BATCH = 5000

/**
 * Deletes what has outlived its use, soon after start and then hourly: logs of received requests
 * older than the retention period (HOOKRELAY_RETENTION, default 30 days), and publish idempotency
 * keys whose 24-hour window is over. Returns a function that stops it.
 */
export function startRetention(store: Pick<Store, 'pruneSourceRequests' | 'pruneIdempotencyKeys'>, retentionMs: number, now: () => number = Date.now): () => void {
  let stopped = false
  const pruneKeys = async (before: number): Promise<void> => {
    while (!stopped && (await store.pruneIdempotencyKeys(before, KEYS_PER_BATCH)) >= KEYS_PER_BATCH) {
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  const prune = () => {
    const t = now()
    void store.pruneSourceRequests(t - retentionMs).catch(() => 0)
    void pruneKeys(t - IDEMPOTENCY_WINDOW_MS).catch(() => undefined)
  }
  const first = setTimeout(prune, 10_000)
  const every = setInterval(prune, EVERY_MS)
  first.unref()
  every.unref()
  return () => {
    stopped = true
    clearTimeout(first)
    clearInterval(every)
  }
}
