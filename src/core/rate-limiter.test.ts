import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limiter.js'

describe('RateLimiter', () => {
  it('lets a key without a rate through', () => {
    expect(new RateLimiter().take('a', 0)).toBe(0)
  })

  it('allows a burst of one second, then spaces requests at the rate', () => {
    const l = new RateLimiter()
    l.setRate('a', 5, 0)
    for (let i = 0; i < 5; i++) expect(l.take('a', 0)).toBe(0)
    expect(l.take('a', 0)).toBe(200)
    expect(l.take('a', 100)).toBe(100)
    expect(l.take('a', 200)).toBe(0)
    expect(l.take('a', 200)).toBe(200)
  })

  it('never stores more than one second of tokens', () => {
    const l = new RateLimiter()
    l.setRate('a', 2, 0)
    expect(l.take('a', 60_000)).toBe(0)
    expect(l.take('a', 60_000)).toBe(0)
    expect(l.take('a', 60_000)).toBe(500)
  })

  it('keeps keys apart, and clearing a rate lifts the limit', () => {
    const l = new RateLimiter()
    l.setRate('a', 1, 0)
    l.setRate('b', 1, 0)
    expect(l.take('a', 0)).toBe(0)
    expect(l.take('b', 0)).toBe(0)
    expect(l.take('a', 0)).toBe(1000)
    l.setRate('a', null, 0)
    expect(l.take('a', 0)).toBe(0)
  })

  it('drops only full buckets when it holds too many, so no limit is lifted early', () => {
    const l = new RateLimiter(2)
    l.setRate('a', 1, 0)
    l.setRate('b', 1, 0)
    expect(l.take('a', 0)).toBe(0) // a is now empty; b is still full
    l.setRate('c', 1, 0)
    expect(l.has('a')).toBe(true)
    expect(l.has('b')).toBe(false)
    expect(l.take('a', 0)).toBe(1000)
  })

  it('setting the same rate again keeps the bucket', () => {
    const l = new RateLimiter()
    l.setRate('a', 1, 0)
    l.take('a', 0)
    l.setRate('a', 1, 10)
    expect(l.take('a', 10)).toBe(990)
  })
})
