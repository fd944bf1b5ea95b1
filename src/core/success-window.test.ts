import { describe, expect, it } from 'vitest'
import { degradedVerdict, SuccessWindow } from './success-window.js'

const MIN = 60_000

describe('SuccessWindow', () => {
  it('counts attempts and successes per key within the window, per minute buckets over 15 minutes', () => {
    const w = new SuccessWindow(15 * MIN)
    expect(w.bucketMs).toBe(MIN)
    const t0 = 100 * MIN
    for (let i = 0; i < 10; i++) w.add('a', i % 2 === 0, t0 + i * 1000)
    w.add('b', false, t0)
    expect(w.counts('a', t0 + 10_000)).toEqual({ attempts: 10, succeeded: 5 })
    expect(w.counts('b', t0 + 10_000)).toEqual({ attempts: 1, succeeded: 0 })
    expect(w.counts('c', t0)).toEqual({ attempts: 0, succeeded: 0 })
  })

  it('lets buckets older than the window go, and reuses their slots', () => {
    const w = new SuccessWindow(15 * MIN)
    const t0 = 100 * MIN
    w.add('a', false, t0)
    w.add('a', true, t0 + 5 * MIN)
    expect(w.counts('a', t0 + 14 * MIN)).toEqual({ attempts: 2, succeeded: 1 })
    // 15 buckets later the first one has left the window.
    expect(w.counts('a', t0 + 15 * MIN)).toEqual({ attempts: 1, succeeded: 1 })
    // Its slot is reused by the bucket 15 minutes on, which starts again from zero.
    w.add('a', true, t0 + 15 * MIN)
    expect(w.counts('a', t0 + 15 * MIN)).toEqual({ attempts: 2, succeeded: 2 })
    expect(w.counts('a', t0 + 40 * MIN)).toEqual({ attempts: 0, succeeded: 0 })
  })

  it('forgets keys idle for a whole window', () => {
    const w = new SuccessWindow(15 * MIN)
    w.add('a', true, 0)
    w.add('b', true, 10 * MIN)
    expect(w.active(14 * MIN)).toEqual(['a', 'b'])
    expect(w.active(20 * MIN)).toEqual(['b'])
    expect(w.counts('a', 20 * MIN)).toEqual({ attempts: 0, succeeded: 0 })
  })
})

describe('degradedVerdict', () => {
  it.each([
    ['healthy, too few attempts to judge', { attempts: 19, succeeded: 0 }, false, null],
    ['healthy, 20 attempts below the threshold', { attempts: 20, succeeded: 9 }, false, 'degraded'],
    ['healthy, at the threshold exactly', { attempts: 20, succeeded: 10 }, false, null],
    ['degraded, still below', { attempts: 40, succeeded: 19 }, true, null],
    ['degraded, back at the threshold', { attempts: 40, succeeded: 20 }, true, 'recovered'],
    ['degraded, failures aged out, few attempts all good', { attempts: 3, succeeded: 3 }, true, 'recovered'],
    ['degraded, no attempts: nothing to judge', { attempts: 0, succeeded: 0 }, true, null],
  ] as const)('%s', (_name, counts, degraded, verdict) => {
    expect(degradedVerdict(counts, degraded, 0.5)).toBe(verdict)
  })
})
