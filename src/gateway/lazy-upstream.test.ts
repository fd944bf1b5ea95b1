import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createAddressPolicy } from '../core/address-class.js'
import { lazyUpstream } from './lazy-upstream.js'
import type { Upstream, UpstreamRequest } from './upstream.js'

const policy = createAddressPolicy([])
const req: UpstreamRequest = { method: 'GET', url: 'http://127.0.0.1:1/', headers: {}, body: null, timeoutMs: 1000 }

function fakeLoader() {
  const calls = { loads: 0, sends: 0, closes: 0 }
  const upstream: Upstream = {
    async open() {
      calls.sends++
      return { kind: 'answer', status: 204, headers: {}, body: Readable.from([]) }
    },
    async close() {
      calls.closes++
    },
  }
  const load = async () => {
    calls.loads++
    await new Promise((resolve) => setTimeout(resolve, 5))
    return upstream
  }
  return { calls, load }
}

describe('lazyUpstream', () => {
  it('loads nothing until the first request, and closing an unused one loads nothing', async () => {
    const { calls, load } = fakeLoader()
    const u = lazyUpstream(policy, load)
    expect(calls.loads).toBe(0)
    await u.close()
    expect(calls).toEqual({ loads: 0, sends: 0, closes: 0 })
  })

  it('loads once for requests that arrive together, and closes what it loaded', async () => {
    const { calls, load } = fakeLoader()
    const u = lazyUpstream(policy, load)
    await Promise.all([u.open(req), u.open(req), u.open(req)])
    await u.open(req)
    expect(calls.loads).toBe(1)
    expect(calls.sends).toBe(4)
    await u.close()
    expect(calls.closes).toBe(1)
  })
})
