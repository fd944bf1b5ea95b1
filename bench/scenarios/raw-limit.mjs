// Raw limit: undici POSTs signed 1 KiB JSON deliveries straight to the sink (another process),
// with a signature computed per request. The physical ceiling for delivering on this machine.
import { runClosedLoop } from '../load.mjs'
import { signedDelivery } from '../payload.mjs'
import { loadSummary } from '../harness.mjs'
import { round } from '../stats.mjs'

/**
 * One measurement of the raw limit over `pool` (to the sink): a warm-up, then `durationMs` from a
 * clean sink. Also the short probes the long scenarios take around their rounds (raw-probe.mjs).
 */
export async function measureRaw(ctx, pool, { warmupMs, durationMs }) {
  const { cfg, sink } = ctx
  const build = (seq) => ({ path: '/raw', ...signedDelivery(seq) })
  await sink.call('reset')
  await runClosedLoop({ pool, concurrency: cfg.concurrency, durationMs: warmupMs, build, isAborted: ctx.isAborted })
  await sink.call('reset')
  const r = await runClosedLoop({ pool, concurrency: cfg.concurrency, durationMs, build, isAborted: ctx.isAborted })
  const st = await sink.call('stats')
  if (r.ok === 0) throw new Error(`no request succeeded: ${r.errorSamples.join(' | ')}`)
  return { r, details: { ...loadSummary(r), sinkCount: st.count, sinkDuplicates: st.duplicates, concurrency: cfg.concurrency, durationMs } }
}

export async function rawLimit(ctx, label = 'raw limit') {
  const { cfg, sink } = ctx
  const pool = ctx.pool(`http://127.0.0.1:${sink.port}`, cfg.concurrency)
  const { r, details } = await measureRaw(ctx, pool, { warmupMs: cfg.warmupMs, durationMs: cfg.durationMs })
  return {
    value: r.okPerSec,
    details,
    rows: [{ scenario: label, measured: `${Math.round(r.okPerSec).toLocaleString('en-US')} req/s`, value: round(r.okPerSec), unit: 'req/s' }],
  }
}
