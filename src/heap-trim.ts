import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * Keeps the main thread's heap near what it really holds. Under steady delivery, garbage that
 * lived through a couple of young-generation collections (a delivery waits in memory ~100 ms)
 * reaches the old generation, and V8 lets that grow to well over 100 MB before a full collection,
 * because nothing tells it memory is scarce: the heap limit is set when the process starts and the
 * CLI cannot pass --max-old-space-size to its own process. So a timer asks for a full collection
 * when the heap has grown past `softLimitMb` since the last one; each costs a few milliseconds
 * and, under load, happens about once a second. Returns a stop function.
 */
export function startHeapTrim(softLimitMb: number, everyMs = 1000): () => void {
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (() => void) | undefined
  if (typeof gc !== 'function') return () => {}
  const limit = softLimitMb * 1024 * 1024
  const timer = setInterval(() => {
    if (v8.getHeapStatistics().total_heap_size > limit) gc()
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
