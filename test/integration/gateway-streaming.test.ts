/**
 * Gateway answers and request bodies stream through (issue 12, item 9): a 50 MB answer reaches the
 * client byte for byte while its events keep 64 KiB of it; a client that goes away mid-answer
 * releases the upstream; an upstream that breaks off or falls silent mid-answer cuts the client's
 * answer; a client's body reaches the upstream as it is sent; and, in a server of its own (a child
 * process, whose RSS is read from /proc), two dozen slowly read 20 MiB answers at once do not
 * make the server hold them. Loopback only.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { Readable } from 'node:stream'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { digestOf, prefixOf, startByteUpstream, type ByteUpstream } from '../helpers/byte-upstream.js'
import { sleep, useFixture } from '../helpers/fixture.js'
import { readMetrics, sampleOf } from '../helpers/metrics.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectList } from './api-support.js'

const KIB64 = 64 * 1024
const MIB = 1024 * 1024

interface Streamed {
  status: number
  headers: http.IncomingHttpHeaders
  bytes: number
  sha256: string
  /** Set when the answer did not reach its end (the connection was cut). */
  error: string | null
}

/**
 * A GET read as it comes, hashed, never held: `pauseMs` after each piece makes a slow reader;
 * `stopAfter` bytes, the client goes away.
 */
function stream(url: string, opts: { pauseMs?: number; stopAfter?: number } = {}): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const hash = createHash('sha256')
      let bytes = 0
      let settled = false
      const done = (error: string | null): void => {
        if (settled) return
        settled = true
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: hash.digest('hex'), error })
      }
      res.on('data', (c: Buffer) => {
        bytes += c.length
        hash.update(c)
        if (opts.stopAfter !== undefined && bytes >= opts.stopAfter) {
          req.destroy()
          return done('stopped')
        }
        if (opts.pauseMs) {
          res.pause()
          setTimeout(() => res.resume(), opts.pauseMs)
        }
      })
      res.on('end', () => done(null))
      res.on('aborted', () => done('aborted'))
      res.on('error', (e) => done(e.message))
      res.on('close', () => done(res.complete ? null : 'closed'))
    })
    req.on('error', reject)
  })
}

describe('gateway streaming', () => {
  const f = useFixture('gws')
  let up: ByteUpstream
  beforeAll(async () => {
    up = await startByteUpstream()
  })
  afterAll(async () => {
    await up.close()
  })

  const route = async (name: string, timeoutSeconds = 30): Promise<{ t: string; base: string }> => {
    const t = await f.tenant()
    const res = await f.srv.api('POST', `/v1/tenants/${t}/routes`, { name, upstreamUrl: up.url, timeoutSeconds })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return { t, base: `${f.srv.url}/gw/${t}/${name}` }
  }

  /** The tenant's events by type, once `request.completed` is in. */
  const lifecycle = async (t: string): Promise<Record<string, any>> => {
    const all = async () => expectList(await f.srv.api('GET', `/v1/tenants/${t}/events?limit=50`))
    await eventually(async () => (await all()).some((e) => e.type === 'request.completed'), DELIVERY_WAIT_MS)
    await sleep(300)
    return Object.fromEntries((await all()).map((e) => [e.type, e]))
  }

  describe.concurrent('answers', () => {
    it('passes a 50 MB answer through byte for byte, while its events keep its first 64 KiB', async () => {
      const size = 50 * 1000 * 1000
      const { t, base } = await route('large')
      const got = await stream(`${base}/bytes/${size}`)
      expect(got.error).toBeNull()
      expect(got.status).toBe(200)
      expect(got.headers['content-length']).toBe(String(size))
      expect(got.bytes).toBe(size)
      expect(got.sha256).toBe(digestOf(size))

      const e = await lifecycle(t)
      expect(Object.keys(e).sort()).toEqual(['request.completed', 'request.received', 'request.success'])
      const response = e['request.completed'].payload.response
      expect(response.status).toBe(200)
      expect(response.headers['content-length']).toBe(String(size))
      expect(response.body).toBe(prefixOf(KIB64).toString('utf8'))
      expect(e['request.success'].payload).toEqual(e['request.completed'].payload)
    })

    it('passes a chunked answer (no content-length) through whole', async () => {
      const size = 3 * MIB + 17
      const { base } = await route('chunked')
      const got = await stream(`${base}/chunked/${size}`)
      expect([got.error, got.status, got.headers['content-length'], got.headers['transfer-encoding']]).toEqual([null, 200, undefined, 'chunked'])
      expect([got.bytes, got.sha256]).toEqual([size, digestOf(size)])
    })

    it('a client that goes away mid-answer releases the upstream; request.error and request.completed say what it got', async () => {
      const { t, base } = await route('abandoned')
      const before = sampleOf(await readMetrics(f.srv.url), 'hookrelay_gateway_requests_total', { outcome: 'client_closed' }) ?? 0
      // 1 GiB, of which the client reads about 2 MiB: the upstream must not be read to the end.
      const got = await stream(`${base}/bytes/${1024 * MIB}`, { stopAfter: 2 * MIB })
      expect([got.status, got.error]).toEqual([200, 'stopped'])
      const served = await eventually(async () => up.served.find((s) => s.path === `/bytes/${1024 * MIB}` && s.closedEarly), 10_000)
      expect(served.finished).toBe(false)
      expect(served.sent).toBeLessThan(100 * MIB)

      const e = await lifecycle(t)
      expect(Object.keys(e).sort()).toEqual(['request.completed', 'request.error', 'request.received'])
      expect(e['request.completed'].payload.response).toMatchObject({ status: 200, body: prefixOf(KIB64).toString('utf8') })
      expect(e['request.error'].payload).toEqual(e['request.completed'].payload)
      expect(sampleOf(await readMetrics(f.srv.url), 'hookrelay_gateway_requests_total', { outcome: 'client_closed' })).toBeGreaterThanOrEqual(before + 1)
    })

    it('an upstream that breaks off mid-answer cuts the client off too (never a short answer that looks whole)', async () => {
      const { t, base } = await route('breaking')
      const got = await stream(`${base}/break/${2 * MIB}/${10 * MIB}`)
      expect(got.status).toBe(200)
      expect(got.error).not.toBeNull()
      expect(got.bytes).toBeLessThan(10 * MIB)
      const e = await lifecycle(t)
      expect(Object.keys(e).sort()).toEqual(['request.completed', 'request.error', 'request.received'])
      expect(e['request.completed'].payload.response).toMatchObject({ status: 200, body: prefixOf(KIB64).toString('utf8') })
    })
  })

  // Alone: its 1 s timeout must not be met by another test's work on this event loop.
  describe('a silent upstream', () => {
    it("an upstream silent mid-answer for the route's timeout: the answer is cut, and request.timeout carries what came", async () => {
      const { t, base } = await route('stalling', 2)
      const got = await stream(`${base}/stall/${MIB}/${10 * MIB}`)
      expect(got.status).toBe(200)
      expect(got.error).not.toBeNull()
      expect(got.bytes).toBeLessThan(10 * MIB)
      const e = await lifecycle(t)
      expect(Object.keys(e).sort()).toEqual(['request.completed', 'request.error', 'request.received', 'request.timeout'])
      expect(e['request.timeout'].payload.response).toMatchObject({ status: 200, body: prefixOf(KIB64).toString('utf8') })
      expect(e['request.timeout'].payload.durationMs).toBeGreaterThanOrEqual(1900)
      await eventually(async () => up.served.find((s) => s.path === `/stall/${MIB}/${10 * MIB}` && s.closedEarly), 10_000)
    })
  })

  describe.concurrent('request bodies', () => {
    it("a client's body reaches the upstream as it is sent, not once it has all arrived", async () => {
      const { t, base } = await route('upload')
      const first = prefixOf(200 * 1024)
      const req = http.request(`${base}/upload`, { method: 'POST', agent: false, headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' } })
      const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on('error', reject)
      })
      let arrived = 0
      const seen = new Promise<void>((resolve) => {
        up.bodyProgress = (n) => {
          arrived = n
          if (n >= 100 * 1024) resolve()
        }
      })
      req.write(first)
      // The client has not finished: the upstream already has most of what it sent.
      await seen
      expect(arrived).toBeLessThanOrEqual(first.length)
      req.end(prefixOf(300 * 1024).subarray(200 * 1024))
      expect(await answered).toEqual({ status: 200, body: String(300 * 1024) })
      const e = await lifecycle(t)
      expect(e['request.received'].payload.request.body).toBe(prefixOf(KIB64).toString('utf8'))
      expect(e['request.completed'].payload.request.body).toBe(prefixOf(KIB64).toString('utf8'))
    })

    it('a chunked body that passes the limit once forwarded: 413, the upstream never gets the whole request, and request.error and request.completed follow', async () => {
      const { t, base } = await route('oversized')
      const served = up.served.length
      const res = await fetch(`${base}/upload`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        // A stream: fetch sends it chunked, so only reading it finds the size.
        body: Readable.toWeb(Readable.from([prefixOf(MIB + 1)])),
        duplex: 'half',
      } as RequestInit)
      expect(res.status).toBe(413)
      expect(await res.json()).toMatchObject({ code: 'payload_too_large' })
      const e = await lifecycle(t)
      expect(Object.keys(e).sort()).toEqual(['request.completed', 'request.error', 'request.received'])
      expect(e['request.completed'].payload.response).toBeNull()
      const upstreamSide = up.served.slice(served).filter((s) => s.path === '/upload')
      expect(upstreamSide.every((s) => !s.finished)).toBe(true)
    })
  })
})

describe('gateway memory (a server process of its own)', () => {
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    await killAllChildren()
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  /** The server's resident set, from /proc (Linux). */
  const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024

  it('24 slowly read 20 MiB answers at once: the server holds a small part of them, not the answers', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-gwmem-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const up = await startByteUpstream()
    cleanups.push(() => up.close())
    const server = await spawnServer({ dataDir })
    const api = childApi(server.url)
    expect((await api('POST', '/v1/tenants', { id: 'gwmem', name: 'gwmem' })).status).toBe(201)
    expect((await api('POST', '/v1/tenants/gwmem/routes', { name: 'big', upstreamUrl: up.url })).status).toBe(201)
    const base = `${server.url}/gw/gwmem/big`
    // Warm up (the gateway's HTTP client loads on first use), then take the baseline.
    expect((await stream(`${base}/bytes/${2 * MIB}`)).bytes).toBe(2 * MIB)
    await sleep(500)
    const pid = server.proc.pid!
    const baseline = rssOf(pid)
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid))
    }, 50)

    const concurrent = 24
    const size = 20 * MIB
    try {
      const results = await Promise.all(Array.from({ length: concurrent }, () => stream(`${base}/bytes/${size}`, { pauseMs: 2 })))
      for (const r of results) expect([r.status, r.error, r.bytes]).toEqual([200, null, size])
      expect(results[0]!.sha256).toBe(digestOf(size))
    } finally {
      clearInterval(sampler)
    }
    const total = concurrent * size
    const growth = peak - baseline
    // Held whole, the answers would add 480 MiB. Streamed, each holds a few chunks: far below a
    // quarter of it even with the garbage collector's slack on a busy machine.
    expect(growth, `RSS ${Math.round(baseline / MIB)} -> ${Math.round(peak / MIB)} MiB for ${total / MIB} MiB passed through`).toBeLessThan(total / 4)
  })
})
