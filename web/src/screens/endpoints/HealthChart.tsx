import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { SeriesPoint } from '../../api/types'

const hoverTime = uPlot.fmtDate('{M}/{D}/{YY} {h}:{mm}{aa}')

/** Attempts succeeded and failed per bucket, and the p95 response time, over the chosen window (uPlot). */
export function HealthChart({ points, label }: { points: SeriesPoint[]; label: string }) {
  const ref = useRef<HTMLDivElement>(null)
  const total = points.reduce((n, p) => n + p.attempts, 0)
  const failed = points.reduce((n, p) => n + p.failed, 0)
  const succeeded = points.reduce((n, p) => n + p.succeeded, 0)
  const p95s = points.map((p) => p.p95ResponseMs).filter((v): v is number => v != null)
  const worstP95 = p95s.length > 0 ? `${Math.max(...p95s)} (max)` : '–'
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const css = getComputedStyle(document.documentElement)
    const color = (name: string) => css.getPropertyValue(name).trim() || '#888'
    const xs = points.map((p) => new Date(p.start).getTime() / 1000)
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, ms: { auto: true } },
        axes: [
          { stroke: color('--muted'), grid: { stroke: color('--grid') }, ticks: { stroke: color('--grid') } },
          { label: 'attempts', stroke: color('--muted'), grid: { stroke: color('--grid') }, ticks: { stroke: color('--grid') } },
          { scale: 'ms', side: 1, label: 'ms', stroke: color('--muted'), grid: { show: false } },
        ],
        // Away from the chart the legend shows the window's totals (and its worst p95), not uPlot's
        // "--" placeholders; over a bucket it shows that bucket's values.
        series: [
          { label: 'Time', value: (_u, v) => (v == null ? 'whole window' : hoverTime(new Date(v * 1000))) },
          { label: 'Succeeded', stroke: color('--ok'), fill: color('--ok-fill'), width: 2, value: (_u, v) => String(v ?? succeeded) },
          { label: 'Failed', stroke: color('--bad'), fill: color('--bad-fill'), width: 2, value: (_u, v) => String(v ?? failed) },
          { label: 'p95 ms', scale: 'ms', stroke: color('--accent'), width: 1, dash: [4, 4], value: (_u, v) => (v == null ? worstP95 : String(v)) },
        ],
      },
      [xs, points.map((p) => p.succeeded), points.map((p) => p.failed), points.map((p) => p.p95ResponseMs)],
      el,
    )
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 })
    window.addEventListener('resize', resize)
    return () => {
      window.removeEventListener('resize', resize)
      plot.destroy()
    }
  }, [points])
  return (
    <figure class="chart">
      <div ref={ref} role="img" aria-label={`${label}: ${total} attempts, ${failed} failed`} />
      <figcaption class="sr-only">
        {label}: {total} attempts, {failed} failed.
      </figcaption>
    </figure>
  )
}
