import { describe, expect, it } from 'vitest'
import { isRetryableStatus, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs } from './retry-delay.js'

describe('retryDelayMs', () => {
  it('doubles the ceiling each retry, with full jitter, capped', () => {
    expect(retryDelayMs(0, 500, null, () => 1)).toBe(500)
    expect(retryDelayMs(1, 500, null, () => 1)).toBe(1000)
    expect(retryDelayMs(3, 500, null, () => 0.5)).toBe(2000)
    expect(retryDelayMs(10, 500, null, () => 1)).toBe(MAX_BACKOFF_MS)
    expect(retryDelayMs(2, 500, null, () => 0)).toBe(0)
  })

  it('waits at least what Retry-After asks, up to its cap', () => {
    expect(retryDelayMs(0, 500, 3000, () => 1)).toBe(3000)
    expect(retryDelayMs(5, 500, 100, () => 1)).toBe(8000)
    expect(retryDelayMs(0, 500, 3_600_000, () => 0)).toBe(MAX_RETRY_AFTER_MS)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('reads seconds and HTTP dates (RFC 9110 §10.2.3)', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(null, now)).toBeNull()
    expect(parseRetryAfter('soon', now)).toBeNull()
  })
})

describe('isRetryableStatus', () => {
  it('is true for 408, 429 and 5xx except 501 and 505', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([200, 400, 401, 404, 409, 422, 501, 505].some(isRetryableStatus)).toBe(false)
  })
})
