import { useEffect, useRef } from 'preact/hooks'
import { enc, query } from '../../api/client'
import type { EndpointStats, Series } from '../../api/types'
import { HttpStatus } from '../../components/StatusBadge'
import { Time } from '../../components/Time'
import { useApi } from '../../hooks/useApi'
import { useQueryState } from '../../hooks/useQueryState'
import { HealthChart } from './HealthChart'

const RANGES = {
  hour: { ms: 3_600_000, bucket: '1m', label: 'Last hour' },
  day: { ms: 86_400_000, bucket: '1h', label: 'Last day' },
  week: { ms: 7 * 86_400_000, bucket: '1d', label: 'Last week' },
} as const
type Range = keyof typeof RANGES

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(r === 1 ? 0 : 1)}%`)
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v)} ms`)

/** Success rate, average and p95 response time, and the chart over an hour, a day or a week (kept in the URL). */
export function EndpointHealth({ tenantApi, endpointId, refresh }: { tenantApi: string; endpointId: string; refresh: number }) {
  const [q, setQ] = useQueryState()
  const range: Range = q.range === 'hour' || q.range === 'week' ? q.range : 'day'
  const r = RANGES[range]
  const since = new Date(Date.now() - r.ms).toISOString()
  const stats = useApi<EndpointStats>(`${tenantApi}/endpoints/${enc(endpointId)}/stats${query({ since })}`)
  const series = useApi<Series>(`${tenantApi}/endpoints/${enc(endpointId)}/stats/series${query({ since, bucket: r.bucket })}`)
  const first = useRef(true)
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    stats.reload()
    series.reload()
  }, [refresh])
  const s = stats.data
  return (
    <section class="card" aria-labelledby="health-title">
      <div class="card-head">
        <h2 id="health-title">Health</h2>
        <div class="segmented" role="group" aria-label="Window">
          {(Object.keys(RANGES) as Range[]).map((k) => (
            <button type="button" key={k} aria-pressed={k === range} onClick={() => setQ({ range: k })}>
              {RANGES[k].label}
            </button>
          ))}
        </div>
      </div>
      <dl class="stats">
        <div>
          <dt>Success rate</dt>
          <dd>{pct(s?.successRate)}</dd>
        </div>
        <div>
          <dt>Average response</dt>
          <dd>{ms(s?.avgResponseMs)}</dd>
        </div>
        <div>
          <dt>p95 response</dt>
          <dd>{ms(s?.p95ResponseMs)}</dd>
        </div>
        <div>
          <dt>Deliveries</dt>
          <dd>
            {s ? `${s.succeeded} ok, ${s.failed} failed, ${s.pending} pending` : '–'}
          </dd>
        </div>
        <div>
          <dt>Last attempt</dt>
          <dd>
            {s?.lastAttemptAt ? (
              <>
                <HttpStatus status={s.lastStatusCode} /> <Time iso={s.lastAttemptAt} />
              </>
            ) : (
              'none yet'
            )}
          </dd>
        </div>
      </dl>
      {series.data ? <HealthChart points={series.data.data} label={r.label} /> : <p class="muted">{series.error ? `Chart unavailable: ${series.error.detail}` : 'Loading chart…'}</p>}
    </section>
  )
}
