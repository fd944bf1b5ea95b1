/**
 * The time series of attempts behind the console's health charts (API.md, "Endpoints":
 * `.../stats/series`). Pure: the store counts the attempts of the buckets that have some; this
 * module decides the window and fills in the empty buckets.
 */

export const SERIES_BUCKETS = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const
export type SeriesBucket = keyof typeof SERIES_BUCKETS

/** A window of more buckets than this is refused (422 series_too_long): 25 hours of minutes, 5 days of 5 minutes, 62 days of hours. */
export const MAX_SERIES_BUCKETS = 1500

/** One bucket's attempts as the store counts them (only buckets that have some). */
export interface SeriesRow {
  /** The bucket's start, epoch ms, a multiple of the bucket's length (aligned to the UTC clock). */
  start: number
  attempts: number
  succeeded: number
  failed: number
  /** Over the attempts that got a response, as endpointStats; null when none did. */
  avgResponseMs: number | null
  /** Nearest rank (the ceil(0.95 n)-th smallest), as endpointStats. */
  p95ResponseMs: number | null
}

export interface SeriesWindow {
  bucketMs: number
  /** The first bucket's start (inclusive), epoch ms. */
  from: number
  /** The end of the last bucket (exclusive), epoch ms. */
  to: number
  count: number
}

/**
 * The whole buckets covering [since, until): from the start of the bucket holding `since` to the
 * end of the one holding the last millisecond before `until`. Whole buckets, so each item counts
 * every attempt that started in it. Null when the window is empty (until <= since).
 */
export function seriesWindow(since: number, until: number, bucket: SeriesBucket): SeriesWindow | null {
  if (until <= since) return null
  const bucketMs = SERIES_BUCKETS[bucket]
  // Epoch ms multiples of a minute, an hour or a day are the UTC clock's own boundaries.
  const from = Math.floor(since / bucketMs) * bucketMs
  const to = (Math.floor((until - 1) / bucketMs) + 1) * bucketMs
  return { bucketMs, from, to, count: (to - from) / bucketMs }
}

/** Every bucket of the window, in order: the store's rows where it has one, zeros and null times elsewhere. */
export function fillSeries(window: SeriesWindow, rows: readonly SeriesRow[]): SeriesRow[] {
  const byStart = new Map(rows.map((r) => [r.start, r]))
  const out: SeriesRow[] = []
  for (let start = window.from; start < window.to; start += window.bucketMs) {
    out.push(byStart.get(start) ?? { start, attempts: 0, succeeded: 0, failed: 0, avgResponseMs: null, p95ResponseMs: null })
  }
  return out
}
