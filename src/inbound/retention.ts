import type { Store } from '../store/store.js'

/** How often old request logs are deleted. */
const EVERY_MS = 3600 * 1000

/**
 * Deletes logs of received requests older than the retention period (HOOKRELAY_RETENTION, default
 * 30 days): soon after start, then hourly. Returns a function that stops it.
 */
export function startRetention(store: Pick<Store, 'pruneSourceRequests'>, retentionMs: number, now: () => number = Date.now): () => void {
  const prune = () => void store.pruneSourceRequests(now() - retentionMs).catch(() => 0)
  const first = setTimeout(prune, 10_000)
  const every = setInterval(prune, EVERY_MS)
  first.unref()
  every.unref()
  return () => {
    clearTimeout(first)
    clearInterval(every)
  }
}
