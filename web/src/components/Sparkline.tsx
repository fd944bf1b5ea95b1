import type { SeriesPoint } from '../api/types'

/**
 * Success rate per bucket as a small SVG line (no chart library for a list row). Buckets without
 * attempts leave a gap. Its label says the figures a sighted reader sees.
 */
export function Sparkline({ points, width = 120, height = 28 }: { points: SeriesPoint[]; width?: number; height?: number }) {
  const total = points.reduce((n, p) => n + p.attempts, 0)
  const ok = points.reduce((n, p) => n + p.succeeded, 0)
  const label = total === 0 ? 'No attempts in the last 24 hours' : `${Math.round((ok / total) * 100)}% of ${total} attempts succeeded in the last 24 hours`
  const step = points.length > 1 ? width / (points.length - 1) : width
  // Runs of buckets with attempts; a run of one bucket has no line to draw, so it shows as a dot.
  const runs: Array<Array<[number, number]>> = []
  let run: Array<[number, number]> = []
  points.forEach((p, i) => {
    if (p.attempts === 0) {
      if (run.length) runs.push(run)
      run = []
      return
    }
    run.push([i * step, 2 + (1 - p.succeeded / p.attempts) * (height - 4)])
  })
  if (run.length) runs.push(run)
  const lines = runs.filter((r) => r.length > 1).map((r) => r.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(''))
  const dots = runs.filter((r) => r.length === 1).map((r) => r[0]!)
  const failing = points.some((p) => p.failed > 0)
  return (
    <svg class={`sparkline ${failing ? 'bad' : 'ok'}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <title>{label}</title>
      <line x1="0" x2={width} y1="2" y2="2" class="baseline" />
      {lines.map((d) => (
        <path d={d} key={d} />
      ))}
      {dots.map(([x, y]) => (
        <circle cx={Math.min(Math.max(x, 2), width - 2)} cy={y} r="2" key={`${x},${y}`} />
      ))}
      {runs.length === 0 ? <line x1="0" x2={width} y1={height / 2} y2={height / 2} class="empty" /> : null}
    </svg>
  )
}
