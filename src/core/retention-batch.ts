/**
 * How many events retention deletes in one statement: sized by time, not by a fixed count of rows.
 * On SQLite the statement runs on the event loop (better-sqlite3 is synchronous) and holds the one
 * writer, so every publish that arrives meanwhile waits for it; what an event costs to delete
 * varies (one delivery or fifty, each with its attempts) and so does the machine's load, so a fixed
 * count bounds neither. Each batch is resized from how long the last one took, toward the budget.
 */

/** How long one delete statement should take, about. */
export const BATCH_BUDGET_MS = 2
/** The first batch of a pass. */
export const FIRST_BATCH = 100
/** The smallest batch: a pass always moves. */
export const MIN_BATCH = 10
/** The largest batch, whatever a quiet machine would allow. */
export const MAX_BATCH = 2000

/**
 * The next batch's size after `size` events took `tookMs`: scaled toward BATCH_BUDGET_MS, at most
 * doubled or halved at a time (one slow statement, a GC pause say, does not collapse the batch), and
 * kept within MIN_BATCH..MAX_BATCH.
 */
export function nextBatchSize(size: number, tookMs: number): number {
  const toward = tookMs > 0 ? (size * BATCH_BUDGET_MS) / tookMs : size * 2
  const next = Math.round(Math.min(size * 2, Math.max(size / 2, toward)))
  return Math.min(MAX_BATCH, Math.max(MIN_BATCH, next))
}
