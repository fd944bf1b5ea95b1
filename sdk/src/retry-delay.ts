/**
 * When to try a call again. Pure: the random source comes in as an argument so tests are exact.
 *
 * Exponential backoff with full jitter (a random wait between 0 and base * 2^attempt, capped), so
 * clients that failed together do not come back together; a server's Retry-After (429, 503) is
 * honoured when it asks for longer, up to `MAX_RETRY_AFTER_MS`.
 */
export const MAX_BACKOFF_MS = 8_000
export const MAX_RETRY_AFTER_MS = 60_000

/** 408 and 429, and every 5xx except 501 (Not Implemented) and 505, which a retry cannot change. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date, RFC 9110 §10.2.3), or null. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v) * 1000
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/** The wait before retry number `retry` (0 for the first retry). */
export function retryDelayMs(retry: number, baseMs: number, retryAfterMs: number | null, random: () => number = Math.random): number {
  const backoff = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** retry) * random()
  if (retryAfterMs === null) return Math.round(backoff)
  return Math.round(Math.max(backoff, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)))
}
