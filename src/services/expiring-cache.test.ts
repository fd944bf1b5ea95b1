import { describe, expect, it } from 'vitest'
import { ExpiringCache } from './expiring-cache.js'

describe('ExpiringCache.peek', () => {
  it('gives a loaded value only while get() would give it without loading', async () => {
    const clock = { t: 0 }
    let loads = 0
    const cache = new ExpiringCache<{ n: number; until: number }>(async (key) => ({ n: ++loads, until: key === 'short' ? 50 : Infinity }), {
      now: () => clock.t,
      ttlMs: 100,
      expiresAt: (v) => v.until,
    })
    expect(cache.peek('a')).toBeUndefined()
    const loading = cache.get('a')
    // Still loading: nothing settled to give.
    expect(cache.peek('a')).toBeUndefined()
    await loading
    expect(cache.peek('a')).toEqual({ v: { n: 1, until: Infinity } })
    clock.t = 99
    expect(cache.peek('a')?.v.n).toBe(1)
    clock.t = 100
    expect(cache.peek('a')).toBeUndefined()

    await cache.get('short')
    clock.t = 149
    expect(cache.peek('short')).toBeUndefined()

    await cache.get('b')
    expect(cache.peek('b')).not.toBeUndefined()
    cache.delete('b')
    expect(cache.peek('b')).toBeUndefined()
    expect(loads).toBe(3)
  })

  it('never gives a failed load', async () => {
    const cache = new ExpiringCache<number>(() => Promise.reject(new Error('down')), { now: () => 0, ttlMs: 100 })
    await expect(cache.get('a')).rejects.toThrow('down')
    expect(cache.peek('a')).toBeUndefined()
  })
})
