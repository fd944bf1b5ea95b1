import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { EarliestTimer } from './earliest-timer.js'

describe('EarliestTimer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }))
  afterEach(() => vi.useRealTimers())

  it('fires once, at the earliest moment armed; a later one changes nothing', () => {
    const fired: number[] = []
    const t = new EarliestTimer(() => fired.push(Date.now()))
    t.arm(500)
    t.arm(800)
    t.arm(200)
    vi.advanceTimersByTime(1000)
    expect(fired).toEqual([200])
  })

  it('can be armed again after it fired, and cleared', () => {
    const fired: number[] = []
    const t = new EarliestTimer(() => fired.push(Date.now()))
    t.arm(100)
    vi.advanceTimersByTime(100)
    t.arm(300)
    t.clear()
    vi.advanceTimersByTime(1000)
    expect(fired).toEqual([100])
  })

  it('waits at most maxDelayMs at once', () => {
    const fired: number[] = []
    const t = new EarliestTimer(() => fired.push(Date.now()), Date.now, { maxDelayMs: 60_000 })
    t.arm(3_600_000)
    vi.advanceTimersByTime(60_000)
    expect(fired).toEqual([60_000])
  })
})
