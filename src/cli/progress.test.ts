import { describe, expect, it } from 'vitest'
import { progressLine } from './progress.js'

describe('progressLine', () => {
  it('fills the bar in proportion and counts failures only when there are some', () => {
    expect(progressLine(0, 10, 0, 10)).toBe('[..........] 0/10')
    expect(progressLine(4, 10, 0, 10)).toBe('[####......] 4/10')
    expect(progressLine(10, 10, 2, 10)).toBe('[##########] 10/10 (2 failed)')
  })

  it('never overflows, and an empty job is complete', () => {
    expect(progressLine(12, 10, 0, 10)).toBe('[##########] 10/10')
    expect(progressLine(0, 0, 0, 4)).toBe('[####] 0/0')
  })
})
