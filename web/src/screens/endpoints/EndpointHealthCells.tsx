import { enc, query } from '../../api/client'
import type { EndpointStats, Series } from '../../api/types'
import { Sparkline } from '../../components/Sparkline'
import { HttpStatus } from '../../components/StatusBadge'
import { Time } from '../../components/Time'
import { useApi } from '../../hooks/useApi'

const hourAgo24 = () => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 23 * 3_600_000).toISOString()

/** A list row's last delivery (status code, when) and its 24-hour success sparkline. */
export function EndpointHealthCells({ tenantApi, endpointId }: { tenantApi: string; endpointId: string }) {
  const stats = useApi<EndpointStats>(`${tenantApi}/endpoints/${enc(endpointId)}/stats`)
  const series = useApi<Series>(`${tenantApi}/endpoints/${enc(endpointId)}/stats/series${query({ since: hourAgo24(), bucket: '1h' })}`)
  return (
    <>
      <td>
        {stats.data ? (
          stats.data.lastAttemptAt ? (
            <>
              <HttpStatus status={stats.data.lastStatusCode} /> <Time iso={stats.data.lastAttemptAt} />
            </>
          ) : (
            <span class="muted">none yet</span>
          )
        ) : (
          <span class="muted">…</span>
        )}
      </td>
      <td>{series.data ? <Sparkline points={series.data.data} /> : <span class="muted">{series.error ? 'unavailable' : '…'}</span>}</td>
    </>
  )
}
