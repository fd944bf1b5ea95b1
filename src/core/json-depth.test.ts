import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js'

const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels))

describe('nestsDeeperThan', () => {
  it('counts objects and arrays as levels, scalars as none', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false)
    expect(nestsDeeperThan('x', 0)).toBe(false)
    expect(nestsDeeperThan(null, 0)).toBe(false)
    expect(nestsDeeperThan({}, 0)).toBe(true)
    expect(nestsDeeperThan({}, 1)).toBe(false)
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 2)).toBe(true)
    expect(nestsDeeperThan({ a: [1, { b: 2 }] }, 3)).toBe(false)
  })

  it('finds a deep branch beside shallow ones', () => {
    const v = { wide: Array.from({ length: 1000 }, (_, i) => ({ i })), deep: nested(50) }
    expect(nestsDeeperThan(v, 50)).toBe(true)
    expect(nestsDeeperThan(v, 51)).toBe(false)
  })

  it('checks a body nested far past the stack without overflowing', () => {
    expect(nestsDeeperThan(nested(100_000), MAX_JSON_DEPTH)).toBe(true)
    expect(nestsDeeperThan(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false)
  })
})
