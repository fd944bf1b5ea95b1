// End-to-end: publish N events as fast as possible while the same server delivers them to the
// sink. Four endpoints, each subscribed to its own event type, events round-robin over the four
// types: every event fans out to exactly one delivery (delivered/s = events/s), and the work is
// spread over several receivers as on a real platform rather than funnelled through one endpoint's
// concurrency limit. Measured from the first publish sent to the last delivery received.
// `e2e-32` is the same measurement in the shape of the issue-16 harness: one endpoint, 64
// publishers sharing 32 connections (so at most 32 publishes in flight and smaller commit groups),
// 900-byte payloads.
import { now } from '../clock.mjs'
import { TENANT, createSinkEndpoints, loadSummary, progressPrinter, publishMany, waitForSink } from '../harness.mjs'
import { round, usPer } from '../stats.mjs'
import { ratioRow } from '../report.mjs'
import { benchDatabase } from '../postgres-db.mjs'

/**
 * `store`: 'sqlite' (default) or 'postgres' (a database of its own, see postgres-db.mjs).
 * `endpoints` (4), `publishers` (cfg.concurrency), `connections` (as many as publishers) and
 * `payloadBytes` (1 KiB) give the shape.
 */
export async function endToEnd(ctx, { store = 'sqlite', endpoints = 4, publishers = ctx.cfg.concurrency, connections = publishers, payloadBytes = undefined } = {}) {
  const { cfg, sink, log } = ctx
  const databaseUrl = store === 'postgres' ? await benchDatabase(ctx, 'e2e') : null
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('e2e'), role: 'all', label: 'end-to-end', databaseUrl })
  const api = ctx.adminApi(srv.url, connections)
  await api.createTenant(TENANT)
  const templated = cfg.e2eTemplate !== null
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
  await sink.call('reset')

  const t0 = now()
  const cpu0 = srv.cpuMs()
  const pub = await publishMany({ api, n: cfg.events, timeoutMs: cfg.waitTimeoutMs, ...load })
  const publishedAt = now()
  log(`    published ${pub.ok.toLocaleString('en-US')} events in ${Math.round(publishedAt - t0)} ms (${Math.round(pub.okPerSec).toLocaleString('en-US')}/s), ${pub.deliveries.toLocaleString('en-US')} deliveries`)
  const w = await waitForSink({
    sink, expected: pub.deliveries, timeoutMs: cfg.waitTimeoutMs, isAborted: ctx.isAborted,
    onTick: progressPrinter(log, 'delivered', pub.deliveries),
  })
  const st = w.stats
  const serverCpuUsPerEvent = usPer(srv.cpuMs() - cpu0, st.count)
  const stop = await srv.stop()
  const deliveredPerSec = st.count > 0 ? (st.count / (st.last - t0)) * 1000 : 0
  const notes = [`server CPU ${serverCpuUsPerEvent} us per event`]
  if (w.reason !== 'complete') notes.push(`${w.reason}: ${st.count}/${pub.deliveries} delivered`)
  if (pub.errors) notes.push(`${pub.errors} failed publishes ${JSON.stringify(pub.statuses)}`)
  if (st.duplicates) notes.push(`${st.duplicates} duplicate deliveries`)
  if (pub.unparsedAnswers) notes.push(`${pub.unparsedAnswers} publish answers without deliveryCount`)
  if (pub.deliveries !== pub.ok) notes.push(`server reported ${pub.deliveries} deliveries for ${pub.ok} events`)
  if (stop.code !== 0) notes.push(`SIGTERM exit ${JSON.stringify(stop)}`)
  return {
    value: deliveredPerSec,
    details: {
      endpoints, template: cfg.e2eTemplate, events: cfg.events, warmupEvents: warm, concurrency: publishers, connections, payloadBytes: payloadBytes ?? 1024,
      publish: loadSummary(pub), waitReason: w.reason, delivered: st.count, duplicates: st.duplicates,
      msFirstPublishToLastDelivery: round(st.last - t0), msPublishPhase: round(publishedAt - t0),
      msLastPublishToLastDelivery: round(st.last - publishedAt),
      deliveredPerSec: round(deliveredPerSec), serverCpuUsPerEvent, serverStop: stop, serverLog: srv.problems(),
    },
    rows: [ratioRow({
      scenario: `end-to-end${store === 'postgres' ? ' on PostgreSQL' : ''} (${cfg.events.toLocaleString('en-US')} events, ${endpoints} endpoint${endpoints === 1 ? '' : 's'}${templated ? ', Liquid template' : ''}, fan-out 1` +
        `${connections !== publishers || payloadBytes ? `, ${publishers} publishers on ${connections} connections, ${payloadBytes ?? 1024}-byte payloads` : ''})`,
      value: deliveredPerSec, unit: 'deliveries/s',
      baseline: ctx.baselines.raw, baselineLabel: ctx.baselineLabel('raw'), target: 0.35, note: notes.join('; '),
      forceFail: w.reason !== 'complete',
    })],
  }
}
