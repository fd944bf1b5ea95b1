// Short measurements of the raw limit taken around and between a long scenario's rounds. This VM's
// speed swings over a minute or so (the raw limit measured 13-28 thousand req/s on a quiet machine),
// so one baseline taken before a scenario can be measured on a different machine than the scenario
// itself; probes around each round, averaged, see the same machine the rounds saw (as `publish`
// interleaves its bare Fastify rounds).
import { measureRaw } from './scenarios/raw-limit.mjs'
import { round } from './stats.mjs'

// Probes further apart than this (max ÷ min - 1) mean the machine changed speed during the measurement.
export const PROBE_SPREAD_FLAG = 0.25

/**
 * A prober for one scenario: `probe(at)` measures the raw limit now (a warm-up of
 * `cfg.probeWarmupMs`, then `cfg.probeMs`, over a pool of its own to the sink, which it resets) and
 * records it under the label `at`. `summary()` is what the ratio and the report need. With
 * `BENCH_ADJACENT_BASELINES=0` it probes nothing and the run's first raw limit is the baseline.
 */
export function rawProber(ctx) {
  const { cfg, sink } = ctx
  const enabled = cfg.adjacentBaselines
  const pool = enabled ? ctx.pool(`http://127.0.0.1:${sink.port}`, cfg.concurrency) : null
  const probes = []
  return {
    enabled,
    probes,
    async probe(at) {
      if (!enabled) return null
      const { r, details } = await measureRaw(ctx, pool, { warmupMs: cfg.probeWarmupMs, durationMs: cfg.probeMs })
      probes.push({ at, perSec: round(r.okPerSec), details })
      ctx.log(`    raw probe (${at}): ${Math.round(r.okPerSec).toLocaleString('en-US')} req/s`)
      return r.okPerSec
    },
    summary() {
      return enabled && probes.length ? summarizeProbes(probes.map((p) => p.perSec)) : null
    },
    /** The baseline of the scenario's ratio and its label. */
    baseline() {
      const s = this.summary()
      if (!s) return { value: ctx.baselines.raw, label: 'raw limit, the run\'s first measurement' }
      return { value: s.mean, label: `raw limit, mean of ${s.count} probes ${s.count === 2 ? 'just before and just after' : 'around the rounds'}` }
    },
    /**
     * The first probe in the shape run.mjs gave `baselinesMeasuredJustBefore` (the raw limit measured
     * right before the scenario), for readers of the JSON that look there.
     */
    justBefore() {
      return probes.length ? { raw: { value: probes[0].perSec, probe: probes[0].at, ...probes[0].details } } : {}
    },
    details() {
      return { rawProbes: probes.map((p) => ({ at: p.at, perSec: p.perSec, ok: p.details.ok, errors: p.details.errors })), rawProbeSummary: this.summary() }
    },
  }
}

/** Mean, min, max and spread (max ÷ min - 1) of the probes' req/s. Pure. */
export function summarizeProbes(values) {
  const min = Math.min(...values)
  const max = Math.max(...values)
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const spread = min > 0 ? max / min - 1 : null
  return { count: values.length, mean: round(mean), min: round(min), max: round(max), spread: round(spread, 3), changedSpeed: spread != null && spread > PROBE_SPREAD_FLAG }
}

/** The probes for a row's notes: their values, spread, and a flag when the machine changed speed. */
export function probeNote(summary, values) {
  if (!summary) return 'no raw probes (BENCH_ADJACENT_BASELINES=0): ratio to the run\'s first raw limit'
  const k = (v) => `${(v / 1000).toFixed(1)}k`
  const pct = Math.round(summary.spread * 100)
  const note = `raw probes ${values.map(k).join(', ')} req/s (spread ${pct}%)`
  return summary.changedSpeed ? `${note}; PROBES DIFFER BY ${pct}% (> ${Math.round(PROBE_SPREAD_FLAG * 100)}%): the machine changed speed during the measurement` : note
}
