// Drain: a backlog of pending deliveries built by a `--role api` server (10 endpoints x 10,000
// events by default), then `--role all` on the same data dir delivers it. Deliveries/s from the
// listening line to the last delivery, compared with the raw limit.
import { buildAndDrain } from '../harness.mjs'
import { ratioRow } from '../report.mjs'

export async function drain(ctx) {
  const { cfg } = ctx
  const d = await buildAndDrain(ctx, {
    name: 'drain', endpoints: cfg.drainEndpoints, events: cfg.drainEvents,
    buildTimeoutMs: cfg.waitTimeoutMs, drainTimeoutMs: cfg.waitTimeoutMs,
  })
  const notes = [...d.problems]
  notes.push(`ramp-up before first delivery ${Math.round(d.drain.msListenToFirst)} ms; from first delivery ${Math.round(d.drain.perSecFromFirst).toLocaleString('en-US')}/s`)
  return {
    value: d.drain.perSecFromListen,
    details: d,
    rows: [ratioRow({
      scenario: `drain (${d.expectedDeliveries.toLocaleString('en-US')} backlog = ${cfg.drainEndpoints} endpoints x ${cfg.drainEvents.toLocaleString('en-US')} events)`,
      value: d.drain.perSecFromListen, unit: 'deliveries/s', baseline: ctx.baselines.raw, baselineLabel: ctx.baselineLabel('raw'), target: 0.6,
      note: notes.join('; '), forceFail: d.drain.reason !== 'complete',
    })],
  }
}
