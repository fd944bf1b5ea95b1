import { describe, expect, it } from 'vitest'
import { fillSeries, seriesWindow } from './stats-series.js'

const H = 3_600_000
const D = 86_400_000

describe('seriesWindow', () => {
  it('covers whole buckets from the one holding since to the one holding the instant before until', () => {
    expect(seriesWindow(10 * H + 5, 12 * H, '1h')).toEqual({ bucketMs: H, from: 10 * H, to: 12 * H, count: 2 })
    expect(seriesWindow(10 * H, 12 * H + 1, '1h')).toEqual({ bucketMs: H, from: 10 * H, to: 13 * H, count: 3 })
    expect(seriesWindow(10 * H, 10 * H + 1, '1m')).toEqual({ bucketMs: 60_000, from: 10 * H, to: 10 * H + 60_000, count: 1 })
  })
  it('aligns days to UTC midnight', () => {
    const since = Date.parse('2026-03-01T15:00:00+05:00')
    const w = seriesWindow(since, since + 1, '1d')!
    expect(new Date(w.from).toISOString()).toBe('2026-03-01T00:00:00.000Z')
    expect(w.to - w.from).toBe(D)
  })
  it('is null when until is not after since', () => {
    expect(seriesWindow(5, 5, '1m')).toBeNull()
    expect(seriesWindow(6, 5, '1m')).toBeNull()
  })
})

describe('fillSeries', () => {
  it('puts zeros and null times where the store has no row, keeping its rows in place', () => {
    const row = { start: 11 * H, attempts: 2, succeeded: 1, failed: 1, avgResponseMs: 12, p95ResponseMs: 20 }
    expect(fillSeries({ bucketMs: H, from: 10 * H, to: 13 * H, count: 3 }, [row])).toEqual([
      { start: 10 * H, attempts: 0, succeeded: 0, failed: 0, avgResponseMs: null, p95ResponseMs: null },
      row,
      { start: 12 * H, attempts: 0, succeeded: 0, failed: 0, avgResponseMs: null, p95ResponseMs: null },
    ])
  })
})
