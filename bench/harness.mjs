// Pieces the scenarios share: publishing many events, waiting for the sink to count deliveries,
// creating endpoints that point at the sink, and building then draining a backlog.
import { now, sleep } from './clock.mjs'
import { runClosedLoop } from './load.mjs'
import { publishBody } from './payload.mjs'
import { sampleRss } from './server.mjs'
import { round, usPer } from './stats.mjs'

export const TENANT = 'bench'

export const sinkUrl = (sink, path) => `http://127.0.0.1:${sink.port}${path}`

/** Creates `count` endpoints at sink paths `${prefix}/${i}`, subscribed to `typeOf(i)`. */
export async function createSinkEndpoints(api, sink, prefix, count, typeOf, extra = {}) {
  const ids = []
  for (let i = 0; i < count; i++) {
    const ep = await api.createEndpoint(TENANT, sinkUrl(sink, `${prefix}/${i}`), [typeOf(i)], extra)
    ids.push(ep.id)
  }
  return ids
}

/**
 * Publishes `n` events (1 KiB payloads, or `payloadBytes`) as fast as `concurrency` allows (over
 * the api's pool, whose connection count may be lower: then publishes queue in the pool);
 * `typeOf(seq)` picks each event's type. Sums `deliveryCount` from the 202 answers, so the caller
 * knows how many deliveries the server says it created.
 */
export async function publishMany({ api, n, concurrency, typeOf, fanout = 1, timeoutMs, isAborted, payloadBytes = undefined }) {
  const bodies = new Map()
  const bodyFor = (type) => {
    let b = bodies.get(type)
    if (!b) bodies.set(type, (b = publishBody(type, {}, payloadBytes)))
    return b
  }
  let deliveries = 0
  let unparsed = 0
  const r = await runClosedLoop({
    pool: api.pool,
    concurrency,
    maxRequests: n,
    timeoutMs,
    isAborted,
    expect: [202],
    build: (seq) => ({ path: `/v1/tenants/${TENANT}/events`, headers: api.authHeaders, body: bodyFor(typeOf(seq)) }),
    onResponse: (status, text) => {
      if (status !== 202) return
      const m = /"deliveryCount"\s*:\s*(\d+)/.exec(text)
      if (m) deliveries += Number(m[1])
      else unparsed++
    },
  })
  // If the answers lack deliveryCount, fall back to what the endpoints' filters should produce.
  return { ...r, deliveries: deliveries + unparsed * fanout, reportedDeliveries: deliveries, unparsedAnswers: unparsed }
}

/** Plain numbers of a closed-loop result, for the JSON report. */
export function loadSummary(r) {
  return {
    ok: r.ok, errors: r.errors, statuses: r.statuses, errorSamples: r.errorSamples,
    elapsedMs: round(r.elapsedMs), okPerSec: round(r.okPerSec), timedOut: r.timedOut,
    ...(r.deliveries !== undefined ? { deliveriesCreated: r.deliveries, unparsedAnswers: r.unparsedAnswers } : {}),
  }
}

/** `total` split into `rounds` near-equal parts (the first ones one larger), none empty. Pure. */
export function roundSizes(total, rounds) {
  const k = Math.max(1, Math.min(Math.floor(rounds) || 1, total))
  return Array.from({ length: k }, (_, i) => Math.floor(total / k) + (i < total % k ? 1 : 0))
}

/** Several publishMany (closed-loop) results as one: counts and times summed, statuses merged. Pure. */
export function mergeLoads(list) {
  const sum = (k) => list.reduce((a, r) => a + (r[k] ?? 0), 0)
  const statuses = {}
  for (const r of list) for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n
  const elapsedMs = sum('elapsedMs')
  const ok = sum('ok')
  return {
    ok, errors: sum('errors'), statuses, errorSamples: list.flatMap((r) => r.errorSamples).slice(0, 5),
    elapsedMs, okPerSec: elapsedMs > 0 ? (ok / elapsedMs) * 1000 : 0, timedOut: list.some((r) => r.timedOut),
    deliveries: sum('deliveries'), reportedDeliveries: sum('reportedDeliveries'), unparsedAnswers: sum('unparsedAnswers'),
  }
}

/**
 * Polls the sink until it counted `expected` requests, nothing arrived for `stallMs`, or
 * `timeoutMs` passed. Returns the last stats and why it stopped.
 */
export async function waitForSink({ sink, expected, timeoutMs, stallMs = 30_000, isAborted = () => false, onTick, pollMs = 200 }) {
  const t0 = now()
  let stats = await sink.call('stats')
  let lastCount = stats.count
  let lastProgress = now()
  while (stats.count < expected) {
    if (isAborted()) return { stats, reason: 'aborted' }
    if (now() - t0 > timeoutMs) return { stats, reason: `timed out after ${Math.round(timeoutMs / 1000)} s` }
    if (now() - lastProgress > stallMs) return { stats, reason: `stalled: nothing arrived for ${Math.round(stallMs / 1000)} s` }
    await sleep(pollMs)
    stats = await sink.call('stats')
    if (stats.count !== lastCount) {
      lastCount = stats.count
      lastProgress = now()
    }
    onTick?.(stats)
  }
  return { stats, reason: 'complete' }
}

/** A short progress line, at most every few seconds, for long waits. */
export function progressPrinter(log, label, expected, everyMs = 5_000) {
  let last = now()
  return (stats) => {
    if (now() - last < everyMs) return
    last = now()
    log(`    ${label}: ${stats.count.toLocaleString('en-US')} / ${expected.toLocaleString('en-US')}`)
  }
}

/**
 * Builds a backlog with a `--role api` server (which accepts publishes but never delivers):
 * `endpoints` endpoints all subscribed to one type, `events` events, so `endpoints x events`
 * pending deliveries. Then SIGTERMs it, starts `--role all` on the same data dir, and counts
 * deliveries at the sink until all arrive. `marks` are delivery counts whose receipt times are
 * returned (e.g. the 100,000th). Optionally samples the server's RSS while draining. `prober` (a
 * raw-probe.mjs prober) probes the raw limit just before the drain starts (no server running) and
 * just after the draining processes stopped.
 */
export async function buildAndDrain(ctx, { name, endpoints, events, marks = [], rss = false, buildTimeoutMs, drainTimeoutMs, databaseUrl = null, workers = 0, prober = null }) {
  const { sink, cfg, log } = ctx
  const dataDir = ctx.dataDir(name)
  const type = `bench.${name.replace(/[^a-z0-9]/g, '')}`
  const out = { endpoints, events, expectedDeliveries: endpoints * events }

  const api1 = await ctx.startServer({ dataDir, role: 'api', label: `${name} api`, databaseUrl })
  const api = ctx.adminApi(api1.url)
  await api.createTenant(TENANT)
  await createSinkEndpoints(api, sink, `/${name}`, endpoints, () => type)
  await sink.call('reset')
  const rssApi = rss ? sampleRss(api1.pid) : null
  log(`    building backlog: ${events.toLocaleString('en-US')} events x ${endpoints} endpoints (role api)`)
  const built = await publishMany({
    api, n: events, concurrency: cfg.concurrency, typeOf: () => type, fanout: endpoints, timeoutMs: buildTimeoutMs, isAborted: ctx.isAborted,
  })
  out.build = { ...loadSummary(built), deliveriesPerSec: round((built.deliveries / built.elapsedMs) * 1000) }
  if (rssApi) out.build.rss = summarizeRss(rssApi.stop())
  log(`    built: ${built.ok.toLocaleString('en-US')} events accepted, ${built.deliveries.toLocaleString('en-US')} deliveries, ` +
    `${Math.round(built.okPerSec).toLocaleString('en-US')} events/s = ${Math.round(out.build.deliveriesPerSec).toLocaleString('en-US')} deliveries/s`)
  if (built.ok < events) throw new Error(`backlog build accepted ${built.ok} of ${events} publishes: ${JSON.stringify(built.statuses)} ${built.errorSamples.join(' | ')}`)
  await sleep(1_000)
  out.deliveredByApiRole = (await sink.call('stats')).count
  await api.close()
  out.apiStop = await api1.stop()
  out.apiServerLog = api1.problems()
  await sink.call('reset')

  const expected = built.deliveries
  out.expectedDeliveries = expected
  if (prober) {
    await prober.probe('just before the drain')
    await sink.call('reset')
  }
  // workers = 0: one `--role all` process (the single node); otherwise that many `--role worker`
  // processes on the same database, started together, timed from the first one's listening line.
  const drainers = workers === 0
    ? [await ctx.startServer({ dataDir, role: 'all', label: `${name} all`, databaseUrl })]
    : await Promise.all(Array.from({ length: workers }, (_, i) => ctx.startServer({ dataDir: ctx.dataDir(`${name}-w${i}`), role: 'worker', label: `${name} worker ${i}`, databaseUrl })))
  const srv = drainers.reduce((a, b) => (a.readyAt <= b.readyAt ? a : b))
  const rssAll = rss ? sampleRss(srv.pid) : null
  out.startMs = round(srv.readyAt - srv.spawnedAt)
  const cpuAtStart = drainers.map((d) => d.cpuMs())
  const w = await waitForSink({
    sink, expected, timeoutMs: drainTimeoutMs, isAborted: ctx.isAborted,
    onTick: progressPrinter(log, 'drained', expected),
  })
  const rssResult = rssAll ? rssAll.stop() : null
  const cpuMs = drainers.reduce((sum, d, i) => sum + d.cpuMs() - cpuAtStart[i], 0)
  const st = w.stats
  const [firstAt, ...markTimes] = await sink.call('timeAt', { ns: [1, ...marks] })
  out.drain = {
    reason: w.reason,
    delivered: st.count,
    duplicates: st.duplicates,
    missing: Math.max(0, expected - st.count),
    msListenToLast: round(st.last - srv.readyAt),
    msFirstToLast: round(st.last - firstAt),
    msListenToFirst: round(firstAt - srv.readyAt),
    // Rate from the listening line (includes any ramp-up before the first delivery).
    perSecFromListen: st.count > 0 ? round((st.count / (st.last - srv.readyAt)) * 1000) : 0,
    // Rate between the first and the last receipt (ramp-up excluded).
    perSecFromFirst: st.count > 1 ? round(((st.count - 1) / (st.last - firstAt)) * 1000) : 0,
    // CPU the draining process(es) used per delivery, start-up included: the steadier measure of cost.
    serverCpuUsPerDelivery: usPer(cpuMs, st.count),
    marks: marks.map((n, i) => ({
      n,
      at: markTimes[i],
      perSecFromFirst: markTimes[i] ? round(((n - 1) / (markTimes[i] - firstAt)) * 1000) : null,
      perSecFromListen: markTimes[i] ? round((n / (markTimes[i] - srv.readyAt)) * 1000) : null,
    })),
  }
  if (rssResult) out.drain.rss = summarizeRss(rssResult)
  const stops = await Promise.all(drainers.map((d) => d.stop()))
  out.allStop = stops.find((x) => x.code !== 0) ?? stops[0]
  out.allServerLog = drainers.flatMap((d) => d.problems())
  if (prober && !ctx.isAborted()) await prober.probe('just after the drain')
  const problems = []
  if (built.unparsedAnswers) problems.push(`${built.unparsedAnswers} publish answers without deliveryCount`)
  if (built.deliveries !== endpoints * events) problems.push(`server created ${built.deliveries} deliveries, expected ${endpoints * events}`)
  if (out.deliveredByApiRole) problems.push(`the api role delivered ${out.deliveredByApiRole}`)
  if (out.apiStop.code !== 0) problems.push(`api role SIGTERM exit ${JSON.stringify(out.apiStop)}`)
  if (out.allStop.code !== 0) problems.push(`all role SIGTERM exit ${JSON.stringify(out.allStop)}`)
  if (out.drain.reason !== 'complete') problems.push(`${out.drain.reason}: ${out.drain.delivered}/${expected} delivered`)
  if (out.drain.duplicates) problems.push(`${out.drain.duplicates} duplicate deliveries`)
  out.problems = problems
  return out
}

export function summarizeRss(r) {
  // Keep about 300 samples in the JSON report.
  const step = Math.max(1, Math.ceil(r.samples.length / 300))
  return {
    maxMainMb: round(r.maxMainKb / 1024, 1),
    maxTreeMb: round(r.maxTreeKb / 1024, 1),
    samples: r.samples.filter((_, i) => i % step === 0).map(([t, main, tree]) => [t, round(main / 1024, 1), round(tree / 1024, 1)]),
  }
}
