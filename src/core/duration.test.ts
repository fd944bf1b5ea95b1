import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'

const SEC = 1000
const MIN = 60 * SEC
const HOUR = 60 * MIN
const DAY = 24 * HOUR

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['1', SEC],
    ['3600', HOUR],
    ['432000', 5 * DAY],
    ['007', 7 * SEC],
    [' 60 ', MIN],
    ['P5D', 5 * DAY],
    ['P0D', 0],
    ['PT0S', 0],
    ['PT1H', HOUR],
    ['PT1H30M', HOUR + 30 * MIN],
    ['PT90M', 90 * MIN],
    ['PT45S', 45 * SEC],
    ['P1DT2H', DAY + 2 * HOUR],
    ['P1DT2H3M4S', DAY + 2 * HOUR + 3 * MIN + 4 * SEC],
    ['P1DT4S', DAY + 4 * SEC],
    ['PT0.5S', 500],
    ['PT0,5S', 500],
    ['PT1.5H', HOUR + 30 * MIN],
    ['PT1H0.25M', HOUR + 15 * SEC],
    ['P1.5D', DAY + 12 * HOUR],
    ['PT0.0004S', 0],
    ['PT0.0006S', 1],
    ['P2W', 14 * DAY],
    ['P0.5W', 3.5 * DAY],
    ['P10000D', 10000 * DAY],
  ])('%j -> %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected)
  })

  it.each([
    [''],
    ['   '],
    ['P'],
    ['PT'],
    ['P1DT'],
    ['T1H'],
    ['-5'],
    ['-P1D'],
    ['P-1D'],
    ['+5'],
    ['1.5'],
    ['5s'],
    ['1e3'],
    ['0x10'],
    ['P1Y'],
    ['P1M'],
    ['P1Y2M3D'],
    ['P1M2D'],
    ['PT1H1D'],
    ['P1H'],
    ['PT1D'],
    ['P1W2D'],
    ['P1WT1H'],
    ['P1.5DT2H'],
    ['PT1.5H30M'],
    ['PT.5S'],
    ['PT5.S'],
    ['p5d'],
    ['P5D garbage'],
    ['five days'],
    ['NaN'],
    ['Infinity'],
    ['99999999999999999999'],
    ['P99999999999999999999D'],
  ])('%j -> null', (input) => {
    expect(parseDuration(input)).toBeNull()
  })
})
