/**
 * What happens after a delivery attempt (API.md, "What each delivery looks like", Outcome). Pure:
 * the clock and randomness come in as arguments so tests are exact.
 */

/** How an attempt ended. A receiver's 500 or a timeout is data, never an exception. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; retryAfterMs?: number }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string }
  | { kind: 'tls'; message: string }
  | { kind: 'blocked'; message: string }
  /** `transient`: it ran past its wall-clock time limit or found no render thread, which a busy machine can cause; retried like a timeout. */
  | { kind: 'template'; message: string; transient?: true }

export interface RetryPolicy {
  enabled: boolean
  /** Retries after the first attempt: maxRetries 3 allows 4 attempts in all. */
  maxRetries: number
  /** The wait after attempt n is delaysMs[n - 1]; past the end, the last delay repeats. */
  delaysMs: readonly number[]
}

export type NextStep =
  | { kind: 'succeeded' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed'; reason: string; disableEndpoint?: boolean }

/** A Retry-After longer than this is cut to it, so one receiver cannot park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000

/** 1, 2, 4, 8, 16 s: attempt n+1 waits 2^(n-1) s. */
export const DEFAULT_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000]

/** At most 10% is added to each delay, so endpoints that failed together do not retry together. */
const JITTER = 0.1

/** The policy of an endpoint's `retry` settings; `schedule` (seconds) replaces the doubling delays. */
export function retryPolicyFor(s: { enabled: boolean; maxRetries: number; schedule: number[] | null }): RetryPolicy {
  const delaysMs = s.schedule && s.schedule.length > 0 ? s.schedule.map((sec) => sec * 1000) : DEFAULT_DELAYS_MS
  return { enabled: s.enabled, maxRetries: s.maxRetries, delaysMs }
}

/**
 * The next step after an attempt. `attemptsMade` counts attempts so far including this one;
 * `random` returns a number in [0, 1) (Math.random in production).
 */
export function nextStep(outcome: AttemptOutcome, attemptsMade: number, policy: RetryPolicy, random: () => number): NextStep {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) throw new RangeError(`attemptsMade must be >= 1, got ${attemptsMade}`)

  if (outcome.kind === 'response') {
    const { status } = outcome
    if (status >= 200 && status <= 299) return { kind: 'succeeded' }
    // Redirects are never followed: a receiver could bounce us to an internal address.
    if (status >= 300 && status <= 399) return { kind: 'failed', reason: `HTTP ${status} (redirect, not followed)` }
    // 410 Gone means the target is gone for good (RFC 9110 §15.5.11): stop sending to it at all.
    if (status === 410) return { kind: 'failed', reason: 'HTTP 410 (gone: endpoint disabled)', disableEndpoint: true }
    // Other 4xx are the request's fault and would fail again; 408 and 429 are about timing (RFC 9110 §15.5.9, RFC 6585 §4).
    if (status >= 400 && status <= 499 && status !== 408 && status !== 429) {
      return { kind: 'failed', reason: `HTTP ${status} (not retried)` }
    }
    // 1xx as a final answer, or anything outside 100-599, is not valid HTTP (RFC 9110 §15): do not guess.
    if (status < 200 || status > 599) return { kind: 'failed', reason: `HTTP ${status} (invalid status, not retried)` }
  }
  // Blocked addresses and broken templates fail the same way on every try.
  if (outcome.kind === 'blocked' || (outcome.kind === 'template' && outcome.transient !== true)) return { kind: 'failed', reason: describeOutcome(outcome) }

  if (!policy.enabled) return { kind: 'failed', reason: `${describeOutcome(outcome)} (retries disabled)` }
  if (attemptsMade > policy.maxRetries) {
    const attempts = attemptsMade === 1 ? '1 attempt' : `${attemptsMade} attempts`
    return { kind: 'failed', reason: `gave up after ${attempts}: ${describeOutcome(outcome)}` }
  }

  const delays = policy.delaysMs.length > 0 ? policy.delaysMs : DEFAULT_DELAYS_MS
  const base = delays[Math.min(attemptsMade, delays.length) - 1] ?? 0
  const r = Math.min(Math.max(random(), 0), 1)
  let delayMs = Math.round(base * (1 + r * JITTER))
  // Retry-After (RFC 9110 §10.2.3) only lengthens the wait, and only where it means "come back
  // later": 429 (RFC 6585 §4) and 503 (RFC 9110 §15.6.4).
  if (outcome.kind === 'response' && (outcome.status === 429 || outcome.status === 503) && outcome.retryAfterMs !== undefined) {
    delayMs = Math.max(delayMs, Math.min(Math.round(outcome.retryAfterMs), MAX_RETRY_AFTER_MS))
  }
  return { kind: 'retry', delayMs }
}

/** A short human description of an outcome, as stored with the attempt and in failure reasons. */
export function describeOutcome(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'response':
      return `HTTP ${outcome.status}`
    case 'timeout':
      return 'timeout'
    case 'network':
      return `network error: ${outcome.message}`
    case 'tls':
      return `TLS error: ${outcome.message}`
    case 'blocked':
      return `blocked: ${outcome.message}`
    case 'template':
      return `template error: ${outcome.message}`
  }
}

const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850_DATE = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/**
 * A Retry-After header as milliseconds from `now` (epoch ms), between 0 and MAX_RETRY_AFTER_MS;
 * undefined when absent or not valid. RFC 9110 §10.2.3: `delay-seconds` (digits) or an HTTP-date
 * (§5.6.7), whose IMF-fixdate, obsolete RFC 850 and asctime forms recipients must all accept.
 * Parsed by hand because Date.parse also takes many strings that are not HTTP dates.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const s = value.trim()
  if (/^\d+$/.test(s)) return Math.min(Number(s) * 1000, MAX_RETRY_AFTER_MS)
  const at = parseHttpDate(s, now)
  if (at === undefined) return undefined
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS)
}

function parseHttpDate(s: string, now: number): number | undefined {
  let m = IMF_FIXDATE.exec(s)
  if (m) return utc(Number(m[3]), m[2], Number(m[1]), m[4], m[5], m[6])
  m = RFC850_DATE.exec(s)
  if (m) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is the most recent past
    // year with the same last two digits.
    const thisYear = new Date(now).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3])
    if (year > thisYear + 50) year -= 100
    return utc(year, m[2], Number(m[1]), m[4], m[5], m[6])
  }
  m = ASCTIME_DATE.exec(s)
  if (m) return utc(Number(m[6]), m[1], Number(m[2]?.trim()), m[3], m[4], m[5])
  return undefined
}

function utc(year: number, monthName: string | undefined, day: number, h?: string, min?: string, sec?: string): number | undefined {
  const month = MONTHS.indexOf(monthName ?? '')
  const hours = Number(h)
  const minutes = Number(min)
  const seconds = Number(sec)
  // Second 60 is allowed for a leap second (RFC 9110 §5.6.7); it is added after the day check.
  if (month < 0 || day < 1 || hours > 23 || minutes > 59 || seconds > 60) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month, day) // not Date.UTC, which maps years 0-99 to 1900-1999
  // Refuse days the month does not have (Feb 30) instead of rolling them into the next month.
  if (date.getUTCDate() !== day) return undefined
  date.setUTCHours(hours, minutes, 0, 0)
  return date.getTime() + seconds * 1000
}
