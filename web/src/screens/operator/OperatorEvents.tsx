import { enc, query } from '../../api/client'
import type { Page, StoredEvent } from '../../api/types'
import { Loading } from '../../components/Loading'
import { Pager } from '../../components/Pager'
import { TableWrap } from '../../components/TableWrap'
import { Time } from '../../components/Time'
import { useApi } from '../../hooks/useApi'
import { useQueryState } from '../../hooks/useQueryState'

/**
 * The operator's operational events (tenant _operator): deliveries that failed for good, endpoints
 * disabled, degraded or recovered, across every tenant. Subscribe to them with an endpoint of _operator.
 */
export function OperatorEvents() {
  const [q, setQ] = useQueryState()
  const list = useApi<Page<StoredEvent>>(`/v1/tenants/_operator/events${query({ limit: 50, cursor: q.cursor })}`)
  const s = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v))
  return (
    <section>
      <div class="page-head">
        <h1>Operational events</h1>
        <a href="/ui/t/_operator/endpoints">Endpoints that receive them</a>
      </div>
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <p class="muted">Nothing to report: no delivery has failed for good and no endpoint was disabled or degraded.</p>
      ) : (
        <TableWrap label="Operational events">
          <table>
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Tenant</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Reason</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((e) => {
                const p = e.payload
                const tenant = s(p.tenantId)
                const endpoint = s(p.endpointId)
                return (
                  <tr key={e.id}>
                    <td>
                      <a href={`/ui/t/_operator/events/${enc(e.id)}`}>
                        <code>{e.type}</code>
                      </a>
                    </td>
                    <td>{tenant ? <a href={`/ui/t/${enc(tenant)}/endpoints`}>{tenant}</a> : null}</td>
                    <td>{tenant && endpoint ? <a href={`/ui/t/${enc(tenant)}/endpoints/${enc(endpoint)}`}>{endpoint}</a> : endpoint}</td>
                    <td class="prose">
                      {s(p.reason)}
                      {/* "gave up after 2 attempts: HTTP 503" names the status already */}
                      {p.lastStatusCode && !s(p.reason).includes(s(p.lastStatusCode)) ? ` (HTTP ${s(p.lastStatusCode)})` : ''}
                    </td>
                    <td>
                      <Time iso={e.createdAt} />
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager cursor={q.cursor} next={list.data?.nextCursor} onFirst={() => setQ({ cursor: null })} onNext={(c) => setQ({ cursor: c })} />
    </section>
  )
}
