import { describe, expect, it } from 'vitest'
import { coalesce } from './wal-sync.js'

/** A flush the test completes by hand. */
function manualFlush() {
  const started: Array<() => void> = []
  const flush = () => new Promise<void>((resolve) => started.push(resolve))
  return { flush, started }
}

describe('coalesce', () => {
  it('starts a flush at once when none runs', async () => {
    const m = manualFlush()
    const sync = coalesce(m.flush)
    const p = sync()
    expect(m.started).toHaveLength(1)
    m.started[0]!()
    await p
  })

  it('callers arriving during a flush share one later flush, not the running one', async () => {
    const m = manualFlush()
    const sync = coalesce(m.flush)
    const first = sync()
    let laterDone = 0
    const later = [sync(), sync(), sync()].map((p) => p.then(() => laterDone++))
    expect(m.started).toHaveLength(1)
    m.started[0]!()
    await first
    await new Promise((r) => setImmediate(r))
    // The running flush ended: the three share exactly one new flush, and are not done before it.
    expect(m.started).toHaveLength(2)
    expect(laterDone).toBe(0)
    m.started[1]!()
    await Promise.all(later)
    expect(laterDone).toBe(3)
  })

  it('a failed flush fails its callers; the next caller flushes again', async () => {
    let fail = true
    let calls = 0
    const sync = coalesce(async () => {
      calls++
      if (fail) throw new Error('EIO')
    })
    await expect(sync()).rejects.toThrow('EIO')
    fail = false
    await sync()
    expect(calls).toBe(2)
  })
})
