// Small numeric helpers shared by the scenarios.

/** Nearest-rank percentile of an array of numbers (copied and sorted here). */
export function percentile(values, p) {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]
}

export function summarize(values) {
  if (values.length === 0) return { count: 0 }
  const sorted = Float64Array.from(values).sort()
  const at = (p) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    min: round(sorted[0]),
    p50: round(at(50)),
    p90: round(at(90)),
    p99: round(at(99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(sum / sorted.length),
  }
}

export const round = (n, digits = 2) => (n == null || !Number.isFinite(n) ? n : Math.round(n * 10 ** digits) / 10 ** digits)

export function fmtRate(n) {
  return n == null ? 'n/a' : `${Math.round(n).toLocaleString('en-US')}/s`
}

/** CPU time (ms) per unit of work, in microseconds; null when nothing was done. */
export const usPer = (cpuMs, n) => (n > 0 ? round((cpuMs * 1000) / n) : null)
