import { fillSeries, MAX_SERIES_BUCKETS, seriesWindow, type SeriesBucket, type SeriesRow } from '../core/stats-series.js'
import { AppError, invalid } from '../errors.js'
import type { SeriesScope, Store } from '../store/store.js'

/** The window of a series request left without `since`: the 24 hours before `until`. */
const DEFAULT_SPAN_MS = 24 * 3600 * 1000

export interface SeriesQuery {
  /** Epoch ms; default 24 hours before `until`. */
  since?: number
  /** Epoch ms, exclusive; default now. */
  until?: number
  /** Default 1h. */
  bucket?: SeriesBucket
}

/**
 * A health chart's series (API.md, `.../stats/series`): every bucket of the window, empty ones
 * included. The caller has checked that the scope exists and is the caller's.
 */
export async function attemptSeries(store: Store, scope: SeriesScope, q: SeriesQuery, now: number): Promise<{ bucket: SeriesBucket; data: SeriesRow[] }> {
  const bucket = q.bucket ?? '1h'
  const until = q.until ?? now
  const since = q.since ?? until - DEFAULT_SPAN_MS
  const window = seriesWindow(since, until, bucket)
  if (window === null) throw invalid('/query/until', 'must be after since')
  if (window.count > MAX_SERIES_BUCKETS) {
    throw new AppError('series_too_long', `The window holds ${window.count} buckets of ${bucket}; at most ${MAX_SERIES_BUCKETS} are answered.`, [
      { path: '/query/bucket', message: `too small for this window (${window.count} buckets, at most ${MAX_SERIES_BUCKETS})` },
    ])
  }
  return { bucket, data: fillSeries(window, await store.attemptSeries(scope, window)) }
}
