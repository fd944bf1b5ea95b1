// Start-up: on a data dir that already holds data (a tenant, an endpoint, delivered events), spawn
// the server on a known port and, from the moment of the spawn, publish at a steady rate for 10 s.
// Requests due before the listening line wait for it; each one's latency runs from its due time
// to its answer, so the wait for start-up is counted.
import { now } from '../clock.mjs'
import { runOpenLoop } from '../load.mjs'
import { publishBody } from '../payload.mjs'
import { freePort } from '../server.mjs'
import { TENANT, createSinkEndpoints, publishMany, waitForSink } from '../harness.mjs'
import { round, summarize } from '../stats.mjs'
import { limitRow } from '../report.mjs'

export async function startup(ctx) {
  const { cfg, sink, log } = ctx
  const dataDir = ctx.dataDir('startup')
  const seedSrv = await ctx.startServer({ dataDir, role: 'all', label: 'startup seed' })
  const seedApi = ctx.adminApi(seedSrv.url)
  await seedApi.createTenant(TENANT)
  await createSinkEndpoints(seedApi, sink, '/startup', 1, () => 'bench.startup')
  await sink.call('reset')
  const seed = await publishMany({ api: seedApi, n: cfg.startupSeedEvents, concurrency: cfg.concurrency, typeOf: () => 'bench.startup', timeoutMs: cfg.waitTimeoutMs, isAborted: ctx.isAborted })
  const seeded = await waitForSink({ sink, expected: seed.deliveries, timeoutMs: cfg.waitTimeoutMs, isAborted: ctx.isAborted })
  log(`    seeded ${seed.ok.toLocaleString('en-US')} events, ${seeded.stats.count.toLocaleString('en-US')} delivered (${seeded.reason})`)
  await seedSrv.stop()
  await sink.call('reset')

  const port = await freePort()
  const pool = ctx.pool(`http://127.0.0.1:${port}`, 64)
  const body = (seq) => publishBody('bench.startup', { seq })
  let spawnedAt = 0
  let openGate
  let closeGate
  const gate = new Promise((resolve, reject) => { openGate = resolve; closeGate = reject })
  const srvPromise = ctx.startServer({ dataDir, role: 'all', port, label: 'startup', onSpawn: (t) => { spawnedAt = t } })
  srvPromise.then(() => openGate(), (err) => closeGate(err))
  const loop = runOpenLoop({
    pool, rate: cfg.startupRate, durationMs: cfg.startupSeconds * 1000, gate, start: spawnedAt, expect: [202], isAborted: ctx.isAborted,
    build: (seq) => ({ path: `/v1/tenants/${TENANT}/events`, headers: { authorization: `Bearer ${ctx.adminToken}`, 'content-type': 'application/json' }, body: body(seq) }),
  })
  const srv = await srvPromise
  const r = await loop
  const ok = r.results.filter((x) => x?.ok)
  const failed = r.results.filter((x) => x && !x.ok)
  const lat = r.results.filter((x) => x && !x.skipped && x.doneAt).map((x) => x.doneAt - x.dueAt)
  const s = summarize(lat)
  const w = await waitForSink({ sink, expected: ok.length, timeoutMs: 60_000, stallMs: 20_000, isAborted: ctx.isAborted })
  const stop = await srv.stop()
  const waitedForListen = r.results.filter((x) => x && x.dueAt < srv.readyAt).length
  const notes = [`listening after ${Math.round(srv.readyAt - spawnedAt)} ms (${waitedForListen} requests waited)`]
  if (failed.length) notes.push(`${failed.length} publishes failed ${JSON.stringify(r.statuses)}: ${r.errorSamples[0] ?? ''}`)
  if (w.stats.count < ok.length) notes.push(`${ok.length - w.stats.count} accepted events not delivered (${w.reason})`)
  return {
    value: s.p99,
    details: {
      seedEvents: cfg.startupSeedEvents, seedDelivered: seeded.stats.count, rate: cfg.startupRate, seconds: cfg.startupSeconds,
      msSpawnToListening: round(srv.readyAt - spawnedAt), requestsWaitingForListen: waitedForListen, publishLatencyMs: s,
      accepted: ok.length, failed: failed.length, skipped: r.skipped, statuses: r.statuses, errorSamples: r.errorSamples,
      delivered: w.stats.count, serverStop: stop, serverLog: srv.problems(),
    },
    rows: [limitRow({
      scenario: `start-up publish p99 (${cfg.startupRate}/s from spawn, first ${cfg.startupSeconds} s, ${cfg.startupSeedEvents.toLocaleString('en-US')} events already stored)`,
      value: s.p99, unit: 'ms', target: 500, note: notes.join('; '), forceFail: failed.length > 0,
    })],
  }
}
