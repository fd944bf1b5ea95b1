import { describe, expect, it } from 'vitest'
import {
  DEFAULT_DELAYS_MS,
  MAX_RETRY_AFTER_MS,
  describeOutcome,
  nextStep,
  parseRetryAfter,
  retryPolicyFor,
  type AttemptOutcome,
  type NextStep,
  type RetryPolicy,
} from './retry-policy.js'

const noJitter = (): number => 0
const fullJitter = (): number => 0.999999
const half = (): number => 0.5
const policy = retryPolicyFor({ enabled: true, maxRetries: 3, schedule: null })

const res = (status: number, retryAfterMs?: number): AttemptOutcome =>
  retryAfterMs === undefined ? { kind: 'response', status } : { kind: 'response', status, retryAfterMs }

describe('retryPolicyFor', () => {
  it.each([
    [{ enabled: true, maxRetries: 3, schedule: null }, { enabled: true, maxRetries: 3, delaysMs: [1000, 2000, 4000, 8000, 16000] }],
    [{ enabled: false, maxRetries: 0, schedule: null }, { enabled: false, maxRetries: 0, delaysMs: [1000, 2000, 4000, 8000, 16000] }],
    [{ enabled: true, maxRetries: 7, schedule: [5, 300, 1800] }, { enabled: true, maxRetries: 7, delaysMs: [5000, 300000, 1800000] }],
    [{ enabled: true, maxRetries: 2, schedule: [] }, { enabled: true, maxRetries: 2, delaysMs: [1000, 2000, 4000, 8000, 16000] }],
  ])('%j -> %j', (settings, expected) => {
    expect(retryPolicyFor(settings)).toEqual(expected)
  })
})

describe('nextStep: classification', () => {
  it.each<[AttemptOutcome, NextStep]>([
    [res(200), { kind: 'succeeded' }],
    [res(201), { kind: 'succeeded' }],
    [res(204), { kind: 'succeeded' }],
    [res(299), { kind: 'succeeded' }],
    [res(300), { kind: 'failed', reason: 'HTTP 300 (redirect, not followed)' }],
    [res(301), { kind: 'failed', reason: 'HTTP 301 (redirect, not followed)' }],
    [res(302), { kind: 'failed', reason: 'HTTP 302 (redirect, not followed)' }],
    [res(307), { kind: 'failed', reason: 'HTTP 307 (redirect, not followed)' }],
    [res(308), { kind: 'failed', reason: 'HTTP 308 (redirect, not followed)' }],
    [res(400), { kind: 'failed', reason: 'HTTP 400 (not retried)' }],
    [res(401), { kind: 'failed', reason: 'HTTP 401 (not retried)' }],
    [res(403), { kind: 'failed', reason: 'HTTP 403 (not retried)' }],
    [res(404), { kind: 'failed', reason: 'HTTP 404 (not retried)' }],
    [res(409), { kind: 'failed', reason: 'HTTP 409 (not retried)' }],
    [res(413), { kind: 'failed', reason: 'HTTP 413 (not retried)' }],
    [res(422), { kind: 'failed', reason: 'HTTP 422 (not retried)' }],
    [res(499), { kind: 'failed', reason: 'HTTP 499 (not retried)' }],
    [res(410), { kind: 'failed', reason: 'HTTP 410 (gone: endpoint disabled)', disableEndpoint: true }],
    [res(408), { kind: 'retry', delayMs: 1000 }],
    [res(429), { kind: 'retry', delayMs: 1000 }],
    [res(500), { kind: 'retry', delayMs: 1000 }],
    [res(502), { kind: 'retry', delayMs: 1000 }],
    [res(503), { kind: 'retry', delayMs: 1000 }],
    [res(504), { kind: 'retry', delayMs: 1000 }],
    [res(599), { kind: 'retry', delayMs: 1000 }],
    [res(100), { kind: 'failed', reason: 'HTTP 100 (invalid status, not retried)' }],
    [res(0), { kind: 'failed', reason: 'HTTP 0 (invalid status, not retried)' }],
    [res(600), { kind: 'failed', reason: 'HTTP 600 (invalid status, not retried)' }],
    [{ kind: 'timeout' }, { kind: 'retry', delayMs: 1000 }],
    [{ kind: 'network', message: 'ECONNREFUSED' }, { kind: 'retry', delayMs: 1000 }],
    [{ kind: 'tls', message: 'CERT_HAS_EXPIRED' }, { kind: 'retry', delayMs: 1000 }],
    [{ kind: 'blocked', message: '10.0.0.1 is a private address' }, { kind: 'failed', reason: 'blocked: 10.0.0.1 is a private address' }],
    [{ kind: 'template', message: 'unknown filter' }, { kind: 'failed', reason: 'template error: unknown filter' }],
    // Ran past its wall-clock limit (a busy machine can cause that): tried again like a timeout.
    [{ kind: 'template', message: 'took longer than 50 ms', transient: true }, { kind: 'retry', delayMs: 1000 }],
  ])('%j after the first attempt -> %j', (outcome, expected) => {
    expect(nextStep(outcome, 1, policy, noJitter)).toEqual(expected)
  })
})

describe('nextStep: schedule and exhaustion', () => {
  const p = (maxRetries: number, delaysMs: number[] = [...DEFAULT_DELAYS_MS], enabled = true): RetryPolicy => ({ enabled, maxRetries, delaysMs })
  const s503 = res(503)

  it.each<[string, RetryPolicy, number, () => number, NextStep]>([
    ['attempt 1 waits 1 s', p(3), 1, noJitter, { kind: 'retry', delayMs: 1000 }],
    ['attempt 2 waits 2 s', p(3), 2, noJitter, { kind: 'retry', delayMs: 2000 }],
    ['attempt 3 waits 4 s', p(3), 3, noJitter, { kind: 'retry', delayMs: 4000 }],
    ['maxRetries 3: the 4th attempt is the last', p(3), 4, noJitter, { kind: 'failed', reason: 'gave up after 4 attempts: HTTP 503' }],
    ['maxRetries 5: attempt 5 waits 16 s', p(5), 5, noJitter, { kind: 'retry', delayMs: 16000 }],
    ['maxRetries 5: 6 attempts in all', p(5), 6, noJitter, { kind: 'failed', reason: 'gave up after 6 attempts: HTTP 503' }],
    ['maxRetries 0: one attempt', p(0), 1, noJitter, { kind: 'failed', reason: 'gave up after 1 attempt: HTTP 503' }],
    ['last delay repeats past the schedule', p(7, [5000, 60000]), 5, noJitter, { kind: 'retry', delayMs: 60000 }],
    ['custom schedule first delay', p(7, [5000, 60000]), 1, noJitter, { kind: 'retry', delayMs: 5000 }],
    ['default delays repeat 16 s past five', p(7), 7, noJitter, { kind: 'retry', delayMs: 16000 }],
    ['disabled: fails after the first attempt', p(3, undefined, false), 1, noJitter, { kind: 'failed', reason: 'HTTP 503 (retries disabled)' }],
    ['jitter adds up to 10%', p(3), 2, fullJitter, { kind: 'retry', delayMs: 2200 }],
    ['jitter 5%', p(3), 3, half, { kind: 'retry', delayMs: 4200 }],
    ['jitter is clamped to 10% even if random misbehaves', p(3), 1, () => 7, { kind: 'retry', delayMs: 1100 }],
    ['negative random adds nothing', p(3), 1, () => -1, { kind: 'retry', delayMs: 1000 }],
    ['empty delays fall back to the defaults', p(3, []), 2, noJitter, { kind: 'retry', delayMs: 2000 }],
  ])('%s', (_name, pol, attemptsMade, random, expected) => {
    expect(nextStep(s503, attemptsMade, pol, random)).toEqual(expected)
  })

  it.each<[AttemptOutcome, string]>([
    [{ kind: 'timeout' }, 'gave up after 4 attempts: timeout'],
    [{ kind: 'network', message: 'ECONNRESET' }, 'gave up after 4 attempts: network error: ECONNRESET'],
    [{ kind: 'tls', message: 'self-signed certificate' }, 'gave up after 4 attempts: TLS error: self-signed certificate'],
    [res(429), 'gave up after 4 attempts: HTTP 429'],
    [res(408), 'gave up after 4 attempts: HTTP 408'],
  ])('exhausted %j -> %s', (outcome, reason) => {
    expect(nextStep(outcome, 4, policy, noJitter)).toEqual({ kind: 'failed', reason })
  })

  it('non-retryable outcomes fail whatever attempt it is and whether retries are on', () => {
    for (const enabled of [true, false]) {
      for (const attempts of [1, 2, 10]) {
        expect(nextStep(res(404), attempts, { ...policy, enabled }, noJitter)).toEqual({ kind: 'failed', reason: 'HTTP 404 (not retried)' })
        expect(nextStep(res(410), attempts, { ...policy, enabled }, noJitter)).toMatchObject({ disableEndpoint: true })
        expect(nextStep(res(200), attempts, { ...policy, enabled }, noJitter)).toEqual({ kind: 'succeeded' })
      }
    }
  })

  it('the jitter never exceeds 10% over many draws', () => {
    for (let i = 0; i < 1000; i++) {
      const step = nextStep(s503, 3, policy, Math.random)
      expect(step.kind).toBe('retry')
      if (step.kind === 'retry') {
        expect(step.delayMs).toBeGreaterThanOrEqual(4000)
        expect(step.delayMs).toBeLessThanOrEqual(4400)
      }
    }
  })

  it.each([[0], [-1], [1.5], [Number.NaN]])('refuses attemptsMade %d', (n) => {
    expect(() => nextStep(s503, n, policy, noJitter)).toThrow(RangeError)
  })
})

describe('nextStep: Retry-After', () => {
  it.each<[string, AttemptOutcome, number, NextStep]>([
    ['429 lengthens the wait', res(429, 30_000), 1, { kind: 'retry', delayMs: 30_000 }],
    ['503 lengthens the wait', res(503, 30_000), 1, { kind: 'retry', delayMs: 30_000 }],
    ['never shortens it', res(503, 500), 3, { kind: 'retry', delayMs: 4000 }],
    ['zero keeps the schedule', res(429, 0), 2, { kind: 'retry', delayMs: 2000 }],
    ['capped at one hour', res(429, 86_400_000), 1, { kind: 'retry', delayMs: MAX_RETRY_AFTER_MS }],
    ['ignored on 500', res(500, 30_000), 1, { kind: 'retry', delayMs: 1000 }],
    ['ignored on 502', res(502, 30_000), 1, { kind: 'retry', delayMs: 1000 }],
    ['ignored on 408', res(408, 30_000), 1, { kind: 'retry', delayMs: 1000 }],
    ['does not bring back an exhausted delivery', res(429, 30_000), 4, { kind: 'failed', reason: 'gave up after 4 attempts: HTTP 429' }],
    ['does not make a 404 retryable', res(404, 30_000), 1, { kind: 'failed', reason: 'HTTP 404 (not retried)' }],
  ])('%s', (_name, outcome, attemptsMade, expected) => {
    expect(nextStep(outcome, attemptsMade, policy, noJitter)).toEqual(expected)
  })

  it('a long schedule delay wins over a shorter Retry-After', () => {
    const long = retryPolicyFor({ enabled: true, maxRetries: 3, schedule: [7200] })
    expect(nextStep(res(429, 60_000), 1, long, noJitter)).toEqual({ kind: 'retry', delayMs: 7_200_000 })
  })
})

describe('describeOutcome', () => {
  it.each<[AttemptOutcome, string]>([
    [res(500), 'HTTP 500'],
    [{ kind: 'timeout' }, 'timeout'],
    [{ kind: 'network', message: 'ENOTFOUND' }, 'network error: ENOTFOUND'],
    [{ kind: 'tls', message: 'bad cert' }, 'TLS error: bad cert'],
    [{ kind: 'blocked', message: 'no' }, 'blocked: no'],
    [{ kind: 'template', message: 'oops' }, 'template error: oops'],
  ])('%j -> %s', (outcome, text) => {
    expect(describeOutcome(outcome)).toBe(text)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.UTC(2024, 10, 6, 8, 49, 37) // Wed, 06 Nov 2024 08:49:37 GMT

  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    [' 120 ', 120_000],
    ['3600', 3_600_000],
    ['3601', MAX_RETRY_AFTER_MS],
    ['99999999999999999999', MAX_RETRY_AFTER_MS],
    ['-5', undefined],
    ['+5', undefined],
    ['1.5', undefined],
    ['1e3', undefined],
    ['5 seconds', undefined],
    ['soon', undefined],
    // IMF-fixdate
    ['Wed, 06 Nov 2024 08:50:37 GMT', 60_000],
    ['Wed, 06 Nov 2024 08:49:37 GMT', 0],
    ['Wed, 06 Nov 2024 08:49:36 GMT', 0],
    ['Tue, 05 Nov 2024 08:49:37 GMT', 0],
    ['Wed, 06 Nov 2024 09:49:37 GMT', 3_600_000],
    ['Thu, 07 Nov 2024 08:49:37 GMT', MAX_RETRY_AFTER_MS],
    ['Wed, 06 Nov 2024 08:49:60 GMT', 23_000],
    ['Sat, 30 Nov 2024 00:00:00 GMT', MAX_RETRY_AFTER_MS],
    // obsolete RFC 850 form, two-digit year
    ['Wednesday, 06-Nov-24 08:51:37 GMT', 120_000],
    ['Sunday, 06-Nov-94 08:49:37 GMT', 0],
    // obsolete asctime form
    ['Wed Nov  6 08:52:37 2024', 180_000],
    ['Wed Nov 06 08:52:37 2024', 180_000],
    ['Sun Nov  6 08:49:37 1994', 0],
    // not HTTP dates
    ['Wed, 06 Nov 2024 08:50:37 UTC', undefined],
    ['Wed, 6 Nov 2024 08:50:37 GMT', undefined],
    ['wed, 06 nov 2024 08:50:37 gmt', undefined],
    ['Wed, 06 Foo 2024 08:50:37 GMT', undefined],
    ['Wed, 30 Feb 2024 08:50:37 GMT', undefined],
    ['Wed, 00 Nov 2024 08:50:37 GMT', undefined],
    ['Wed, 06 Nov 2024 24:00:00 GMT', undefined],
    ['Wed, 06 Nov 2024 08:60:00 GMT', undefined],
    ['Wed, 06 Nov 2024 08:00:61 GMT', undefined],
    ['2024-11-06T08:50:37Z', undefined],
    ['Wed Nov  6 08:52:37 2024 GMT', undefined],
    ['Wednesday, 06-Nov-2024 08:51:37 GMT', undefined],
    ['Wed, 06 Nov 2024 08:50:37 GMT extra', undefined],
  ])('%j -> %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })

  it('reads a two-digit year more than 50 years ahead as the past century (RFC 9110 §5.6.7)', () => {
    const in2030 = Date.UTC(2030, 0, 1)
    // "81" would be 2081, 51 years ahead: so 1981, in the past.
    expect(parseRetryAfter('Thursday, 01-Jan-81 00:00:00 GMT', in2030)).toBe(0)
    // "30" is this year: an hour from now.
    expect(parseRetryAfter('Tuesday, 01-Jan-30 01:00:00 GMT', in2030)).toBe(3_600_000)
  })
})
