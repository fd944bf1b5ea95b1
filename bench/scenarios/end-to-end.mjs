// End-to-end: publish N events as fast as possible while the same server delivers them to the
// sink. Four endpoints, each subscribed to its own event type, events round-robin over the four
// types: every event fans out to exactly one delivery (delivered/s = events/s), and the work is
// spread over several receivers as on a real platform rather than funnelled through one endpoint's
// concurrency limit. The events go out in `BENCH_E2E_ROUNDS` rounds, each measured from its first
// publish sent to its last delivery received, with a short raw-limit probe before each round and
// after the last: the ratio is the rounds' deliveries over their summed time, against the probes' mean.
// `e2e-32` is the same measurement in the shape of the issue-16 harness: one endpoint, 64
// publishers sharing 32 connections (so at most 32 publishes in flight and smaller commit groups),
// 900-byte payloads.
// `e2e-ceiling` is `e2e` against bench/http-only-relay.mjs instead of the product: a relay that does
// only the two HTTP exchanges (and the signature) and stores nothing, so its ratio is the most any
// relay written on Node could reach on this machine in this scenario (an info row).
import { fileURLToPath } from 'node:url'
import { now } from '../clock.mjs'
import { TENANT, createSinkEndpoints, loadSummary, mergeLoads, progressPrinter, publishMany, roundSizes, waitForSink } from '../harness.mjs'
import { probeNote, rawProber } from '../raw-probe.mjs'
import { round, usPer } from '../stats.mjs'
import { infoRow, ratioRow } from '../report.mjs'
import { benchDatabase } from '../postgres-db.mjs'

const HTTP_ONLY_RELAY = fileURLToPath(new URL('../http-only-relay.mjs', import.meta.url))

/**
 * `store`: 'sqlite' (default) or 'postgres' (a database of its own, see postgres-db.mjs).
 * `ceiling`: run bench/http-only-relay.mjs instead of the product (`store` is then moot).
 * `endpoints` (4), `publishers` (cfg.concurrency), `connections` (as many as publishers) and
 * `payloadBytes` (1 KiB) give the shape.
 */
export async function endToEnd(ctx, { store = 'sqlite', endpoints = 4, publishers = ctx.cfg.concurrency, connections = publishers, payloadBytes = undefined, ceiling = false } = {}) {
  const { cfg, sink, log } = ctx
  const databaseUrl = store === 'postgres' && !ceiling ? await benchDatabase(ctx, 'e2e') : null
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('e2e'), role: 'all', label: ceiling ? 'HTTP-only relay' : 'end-to-end', databaseUrl, entry: ceiling ? HTTP_ONLY_RELAY : null })
  const api = ctx.adminApi(srv.url, connections)
  await api.createTenant(TENANT)
  const templated = cfg.e2eTemplate !== null && !ceiling
  const extra = templated ? { payload: { format: 'json', template: cfg.e2eTemplate } } : {}
  await createSinkEndpoints(api, sink, '/e2e', endpoints, (i) => `bench.e2e${i}`, extra)
  const typeOf = (seq) => `bench.e2e${seq % endpoints}`
  const load = { concurrency: publishers, typeOf, payloadBytes, isAborted: ctx.isAborted }

  // Warm-up (JIT, connection pools), then measure from a clean sink.
  const warm = Math.min(1_000, Math.ceil(cfg.events / 10))
  await sink.call('reset')
  const w0 = await publishMany({ api, n: warm, timeoutMs: 60_000, ...load })
  const ww = await waitForSink({ sink, expected: w0.deliveries, timeoutMs: 60_000, isAborted: ctx.isAborted })
  if (ww.reason !== 'complete') throw new Error(`warm-up: ${ww.stats.count}/${w0.deliveries} delivered (${ww.reason})`)

  // The events go out in rounds on this one server, each round timed from its first publish to its
  // last delivery, with a short raw-limit probe before each round and after the last (the server
  // idle then: every delivery of the round has arrived). The machine's speed drifts over a minute;
  // each round's rate is judged against the probes on either side of it.
  const prober = rawProber(ctx)
  const sizes = roundSizes(cfg.events, cfg.e2eRounds)
  const rounds = []
  const pubs = []
  let serverCpuMs = 0
  let failed = null
  await prober.probe('before round 1')
  for (const [i, n] of sizes.entries()) {
    if (ctx.isAborted()) break
    await sink.call('reset')
    const t0 = now()
    const cpu0 = srv.cpuMs()
    const pub = await publishMany({ api, n, timeoutMs: cfg.waitTimeoutMs, ...load })
    const publishedAt = now()
    const w = await waitForSink({
      sink, expected: pub.deliveries, timeoutMs: cfg.waitTimeoutMs, isAborted: ctx.isAborted,
      onTick: progressPrinter(log, `round ${i + 1} delivered`, pub.deliveries),
    })
    serverCpuMs += srv.cpuMs() - cpu0
    const st = w.stats
    pubs.push(pub)
    const ms = st.count > 0 ? st.last - t0 : publishedAt - t0
    rounds.push({
      events: n, published: pub.ok, deliveriesCreated: pub.deliveries, delivered: st.count, duplicates: st.duplicates, waitReason: w.reason,
      msPublishPhase: round(publishedAt - t0), msFirstPublishToLastDelivery: round(ms), msLastPublishToLastDelivery: round(st.last - publishedAt),
      deliveredPerSec: round(st.count > 0 ? (st.count / ms) * 1000 : 0),
    })
    log(`    round ${i + 1}/${sizes.length}: ${st.count.toLocaleString('en-US')} delivered in ${Math.round(ms)} ms (${Math.round(rounds[i].deliveredPerSec).toLocaleString('en-US')}/s; publishing took ${Math.round(publishedAt - t0)} ms)`)
    if (w.reason !== 'complete') {
      failed = `round ${i + 1}: ${w.reason}: ${st.count}/${pub.deliveries} delivered`
      break
    }
    await prober.probe(i + 1 === sizes.length ? 'after the last round' : `between rounds ${i + 1} and ${i + 2}`)
  }
  const stop = await srv.stop()
  const pub = mergeLoads(pubs)
  const delivered = rounds.reduce((a, r) => a + r.delivered, 0)
  const duplicates = rounds.reduce((a, r) => a + r.duplicates, 0)
  const msRounds = rounds.reduce((a, r) => a + r.msFirstPublishToLastDelivery, 0)
  const deliveredPerSec = msRounds > 0 ? (delivered / msRounds) * 1000 : 0
  const serverCpuUsPerEvent = usPer(serverCpuMs, delivered)
  const base = prober.baseline()
  // Each round against the mean of the probe just before and the probe just after it.
  const probeValues = prober.probes.map((p) => p.perSec)
  for (const [i, r] of rounds.entries()) {
    const around = probeValues.slice(i, i + 2)
    r.rawAround = around.length ? round(around.reduce((a, b) => a + b, 0) / around.length) : null
    r.ratio = r.rawAround ? round(r.deliveredPerSec / r.rawAround, 3) : null
  }
  const notes = [
    `${rounds.length} rounds of ${sizes[0].toLocaleString('en-US')} events${prober.enabled ? `, per-round ratios ${rounds.map((r) => (r.ratio == null ? 'n/a' : r.ratio.toFixed(2))).join(', ')}` : ''}`,
    probeNote(prober.summary(), probeValues),
    `server CPU ${serverCpuUsPerEvent} us per event`,
  ]
  if (failed) notes.push(failed)
  if (pub.errors) notes.push(`${pub.errors} failed publishes ${JSON.stringify(pub.statuses)}`)
  if (duplicates) notes.push(`${duplicates} duplicate deliveries`)
  if (pub.unparsedAnswers) notes.push(`${pub.unparsedAnswers} publish answers without deliveryCount`)
  if (pub.deliveries !== pub.ok) notes.push(`server reported ${pub.deliveries} deliveries for ${pub.ok} events`)
  if (stop.code !== 0) notes.push(`SIGTERM exit ${JSON.stringify(stop)}`)
  const waitReason = failed ? rounds[rounds.length - 1].waitReason : ctx.isAborted() ? 'aborted' : 'complete'
  return {
    value: deliveredPerSec,
    details: {
      endpoints, template: cfg.e2eTemplate, events: cfg.events, warmupEvents: warm, concurrency: publishers, connections, payloadBytes: payloadBytes ?? 1024,
      publish: loadSummary(pub), waitReason, delivered, duplicates,
      // Sums over the rounds (the probes between them not counted).
      msFirstPublishToLastDelivery: round(msRounds), msPublishPhase: round(rounds.reduce((a, r) => a + r.msPublishPhase, 0)),
      msLastPublishToLastDelivery: round(rounds.reduce((a, r) => a + r.msLastPublishToLastDelivery, 0)),
      deliveredPerSec: round(deliveredPerSec), serverCpuUsPerEvent, rounds, ...prober.details(), baselinesMeasuredJustBefore: prober.justBefore(),
      serverStop: stop, serverLog: srv.problems(),
    },
    rows: [ceiling ? infoRow({
      scenario: `end-to-end ceiling: an HTTP-only relay, nothing stored (as e2e: ${cfg.events.toLocaleString('en-US')} events, ${endpoints} endpoints, fan-out 1)`,
      value: deliveredPerSec, unit: 'deliveries/s',
      note: [`${base.value > 0 ? (deliveredPerSec / base.value).toFixed(2) : 'n/a'} of the ${base.label}: the most a relay on Node reaches here`, ...notes].join('; '),
    }) : ratioRow({
      scenario: `end-to-end${store === 'postgres' ? ' on PostgreSQL' : ''} (${cfg.events.toLocaleString('en-US')} events, ${endpoints} endpoint${endpoints === 1 ? '' : 's'}${templated ? ', Liquid template' : ''}, fan-out 1` +
        `${connections !== publishers || payloadBytes ? `, ${publishers} publishers on ${connections} connections, ${payloadBytes ?? 1024}-byte payloads` : ''})`,
      value: deliveredPerSec, unit: 'deliveries/s',
      baseline: base.value, baselineLabel: base.label, target: 0.35, note: notes.join('; '),
      forceFail: waitReason !== 'complete',
    })],
  }
}
