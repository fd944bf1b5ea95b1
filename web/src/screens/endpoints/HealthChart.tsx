import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { SeriesPoint } from '../../api/types'

/** Attempts succeeded and failed per bucket, and the p95 response time, over the chosen window (uPlot). */
export function HealthChart({ points, label }: { points: SeriesPoint[]; label: string }) {
  const ref = useRef<HTMLDivElement>(null)
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
        series: [
          {},
          { label: 'Succeeded', stroke: color('--ok'), fill: color('--ok-fill'), width: 2 },
          { label: 'Failed', stroke: color('--bad'), fill: color('--bad-fill'), width: 2 },
          { label: 'p95 ms', scale: 'ms', stroke: color('--accent'), width: 1, dash: [4, 4] },
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
  const total = points.reduce((n, p) => n + p.attempts, 0)
  const failed = points.reduce((n, p) => n + p.failed, 0)
  return (
    <figure class="chart">
      <div ref={ref} role="img" aria-label={`${label}: ${total} attempts, ${failed} failed`} />
      <figcaption class="sr-only">
        {label}: {total} attempts, {failed} failed.
      </figcaption>
    </figure>
  )
}
