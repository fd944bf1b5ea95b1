// Drain: a backlog of pending deliveries built by a `--role api` server (10 endpoints x 10,000
// events by default), then `--role all` on the same data dir delivers it. Deliveries/s from the
// listening line to the last delivery, compared with the raw limit probed just before the drain
// and just after it (the backlog is one piece: its baseline is the mean of the two probes).
import { buildAndDrain } from '../harness.mjs'
import { ratioRow } from '../report.mjs'
import { probeNote, rawProber } from '../raw-probe.mjs'
import { round } from '../stats.mjs'
import { benchDatabase } from '../postgres-db.mjs'

/**
 * `store`: 'sqlite' (default) or 'postgres'. `workers`: 0 drains with one `--role all` process;
 * 1 or more with that many `--role worker` processes on the same PostgreSQL database.
 */
export async function drain(ctx, { store = 'sqlite', workers = 0 } = {}) {
  const { cfg } = ctx
  const databaseUrl = store === 'postgres' ? await benchDatabase(ctx, 'drain') : null
  const prober = rawProber(ctx)
  const d = await buildAndDrain(ctx, {
    name: 'drain', endpoints: cfg.drainEndpoints, events: cfg.drainEvents,
    buildTimeoutMs: cfg.waitTimeoutMs, drainTimeoutMs: cfg.waitTimeoutMs, databaseUrl, workers, prober,
  })
  const base = prober.baseline()
  Object.assign(d, prober.details(), { baselinesMeasuredJustBefore: prober.justBefore() })
  const where = store === 'postgres' ? ` on PostgreSQL, ${workers === 0 ? 'one --role all process' : `${workers} worker process${workers > 1 ? 'es' : ''}`}` : ''
  const notes = [...d.problems]
  const probes = prober.probes.map((p) => p.perSec)
  notes.push(`${probeNote(prober.summary(), probes)}${probes.length === 2 ? ` (before, after: ratios ${probes.map((p) => round(d.drain.perSecFromListen / p, 2).toFixed(2)).join(', ')})` : ''}`)
  notes.push(`ramp-up before first delivery ${Math.round(d.drain.msListenToFirst)} ms; from first delivery ${Math.round(d.drain.perSecFromFirst).toLocaleString('en-US')}/s; server CPU ${d.drain.serverCpuUsPerDelivery} us per delivery`)
  return {
    value: d.drain.perSecFromListen,
    details: d,
    rows: [ratioRow({
      scenario: `drain${where} (${d.expectedDeliveries.toLocaleString('en-US')} backlog = ${cfg.drainEndpoints} endpoints x ${cfg.drainEvents.toLocaleString('en-US')} events)`,
      value: d.drain.perSecFromListen, unit: 'deliveries/s', baseline: base.value, baselineLabel: base.label, target: 0.6,
      note: notes.join('; '), forceFail: d.drain.reason !== 'complete',
    })],
  }
}
