// Scale: a 1,000,000-delivery backlog (100 endpoints x 10,000 events by default), built by a
// `--role api` server, drained by `--role all` while its RSS is read every 200 ms. Also compares
// the drain rate over the first 100,000 deliveries with a 10,000-delivery backlog of the same
// shape (same endpoints, 100 events) drained earlier in the same run; both rates are measured
// from the first delivery received, so the fixed start-up delay does not weigh on the short one.
import { buildAndDrain } from '../harness.mjs'
import { round } from '../stats.mjs'
import { limitRow, ratioRow } from '../report.mjs'

export async function scale(ctx) {
  const { cfg, log } = ctx
  const small = cfg.scaleBaselineEvents * cfg.scaleEndpoints
  const big = cfg.scaleEvents * cfg.scaleEndpoints
  const window = Math.min(cfg.scaleWindow, big)
  log(`    baseline: ${small.toLocaleString('en-US')}-delivery backlog`)
  const base = await buildAndDrain(ctx, {
    name: 'scalebase', endpoints: cfg.scaleEndpoints, events: cfg.scaleBaselineEvents, marks: [small],
    buildTimeoutMs: cfg.waitTimeoutMs, drainTimeoutMs: cfg.waitTimeoutMs,
  })
  log(`    baseline drained ${base.drain.delivered.toLocaleString('en-US')} at ${Math.round(base.drain.perSecFromFirst).toLocaleString('en-US')}/s (from first delivery)`)
  log(`    large: ${big.toLocaleString('en-US')}-delivery backlog`)
  const large = await buildAndDrain(ctx, {
    name: 'scale', endpoints: cfg.scaleEndpoints, events: cfg.scaleEvents, marks: [window], rss: true,
    buildTimeoutMs: cfg.scaleTimeoutMs, drainTimeoutMs: cfg.scaleTimeoutMs,
  })
  const baseRate = base.drain.perSecFromFirst
  const windowRate = large.drain.marks[0]?.perSecFromFirst ?? null
  const rssMb = large.drain.rss.maxTreeMb
  const notes = [...large.problems, ...base.problems.map((p) => `baseline: ${p}`)]
  const drainNote = `whole ${large.drain.delivered.toLocaleString('en-US')} drained at ${Math.round(large.drain.perSecFromFirst).toLocaleString('en-US')}/s; build ${Math.round(large.build.deliveriesPerSec).toLocaleString('en-US')} deliveries/s (api role max RSS ${large.build.rss?.maxTreeMb} MB)`
  return {
    value: rssMb,
    details: { baseline: base, large, windowDeliveries: window },
    rows: [
      limitRow({
        scenario: `scale: max RSS draining ${big.toLocaleString('en-US')} backlog (${cfg.scaleEndpoints} endpoints x ${cfg.scaleEvents.toLocaleString('en-US')} events)`,
        value: rssMb, unit: 'MB', target: 256, note: notes.join('; '), forceFail: large.drain.reason !== 'complete',
      }),
      ratioRow({
        scenario: `scale: drain rate, first ${window.toLocaleString('en-US')} of ${big.toLocaleString('en-US')} vs ${small.toLocaleString('en-US')} backlog`,
        value: windowRate ?? 0, unit: 'deliveries/s', baseline: baseRate, baselineLabel: `${small.toLocaleString('en-US')} backlog`, target: 0.9,
        note: [drainNote, windowRate == null ? `fewer than ${window} delivered` : ''].filter(Boolean).join('; '), forceFail: windowRate == null,
      }),
    ],
  }
}
