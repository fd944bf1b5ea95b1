// Gateway memory (issue 12, item 9): BENCH_GW_CONCURRENCY (400) clients GET an answer of
// BENCH_GW_BYTES (100 MB) through a gateway route at once, each reading as fast as it can and
// discarding, while the server's RSS is read every 100 ms. The upstream runs in a process of its
// own (byte-upstream.mjs), the clients in the bench process (node:http, one connection each).
// Reported: the server's peak RSS and its growth over the RSS before the requests, the bytes that
// reached the clients, and how many answers arrived whole. Before streaming, the proxy held each
// answer (up to 16 MiB, then 502); the report was a peak of 897 MB that stayed there.
import http from 'node:http'
import { fileURLToPath } from 'node:url'
import { forkHelper } from '../child.mjs'
import { now } from '../clock.mjs'
import { processTreeRssKb, sampleRss } from '../server.mjs'
import { infoRow, limitRow } from '../report.mjs'
import { round } from '../stats.mjs'

const MB = 1000 * 1000

/** One GET read to its end and discarded: status, bytes, whether it came whole. */
function fetchDiscard(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      let bytes = 0
      res.on('data', (c) => { bytes += c.length })
      res.on('end', () => resolve({ status: res.statusCode, bytes, whole: res.complete }))
      res.on('error', () => resolve({ status: res.statusCode, bytes, whole: false }))
    })
    req.on('error', (e) => resolve({ status: 0, bytes: 0, whole: false, error: e.message }))
  })
}

export async function gatewayMemory(ctx) {
  const { cfg } = ctx
  const upstream = await forkHelper(fileURLToPath(new URL('../byte-upstream.mjs', import.meta.url)))
  ctx.onCleanup(() => upstream.stop())
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('gateway'), role: 'all', label: 'gateway' })
  const api = ctx.adminApi(srv.url, 4)
  await api.createTenant('gwbench')
  await api.call('POST', '/v1/tenants/gwbench/routes', { name: 'big', upstreamUrl: `http://127.0.0.1:${upstream.port}`, timeoutSeconds: 60 }, [201])
  const base = `${srv.url}/gw/gwbench/big/bytes`
  // Warm-up: the gateway's HTTP client loads on first use.
  await fetchDiscard(`${base}/${MB}`)
  await new Promise((r) => setTimeout(r, 1000))
  const idleKb = processTreeRssKb(srv.pid).main

  const n = cfg.gwConcurrency
  const size = cfg.gwBytes
  const rss = sampleRss(srv.pid, 100)
  const t0 = now()
  const results = await Promise.all(Array.from({ length: n }, () => fetchDiscard(`${base}/${size}`)))
  const ms = now() - t0
  const duringKb = rss.stop().maxMainKb
  // Whether memory went back: RSS a few seconds after the last answer.
  await new Promise((r) => setTimeout(r, 3000))
  const afterKb = processTreeRssKb(srv.pid).main
  const ups = await upstream.call('stats')
  await srv.stop()

  const whole = results.filter((r) => r.status === 200 && r.whole && r.bytes === size).length
  const statuses = {}
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1
  const received = results.reduce((s, r) => s + r.bytes, 0)
  const peakMb = round(duringKb / 1024, 1)
  const growthMb = round((duringKb - idleKb) / 1024, 1)
  const note = `${n} x ${round(size / MB, 1)} MB at once; RSS idle ${round(idleKb / 1024, 1)} MB, peak ${peakMb} MB (+${growthMb}), 3 s after ${round(afterKb / 1024, 1)} MB; ` +
    `${whole}/${n} whole, statuses ${JSON.stringify(statuses)}; ${round(received / MB)} MB received in ${round(ms / 1000, 1)} s ` +
    `(${round(received / MB / (ms / 1000))} MB/s); upstream ${ups.finished} finished, ${ups.closedEarly} cut`
  ctx.log(`    ${note}`)
  return {
    value: peakMb,
    details: { concurrency: n, bytes: size, idleKb, peakKb: duringKb, afterKb, ms: round(ms), statuses, whole, received, upstream: ups },
    rows: [
      limitRow({ scenario: `gateway: server peak RSS, ${n} concurrent ${round(size / MB, 1)} MB answers`, value: peakMb, unit: 'MB', target: 256, note, forceFail: whole !== n }),
      infoRow({ scenario: 'gateway: answers passed through', value: received / MB / (ms / 1000), unit: 'MB/s' }),
    ],
  }
}
