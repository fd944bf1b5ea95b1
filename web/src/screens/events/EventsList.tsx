import { enc, query } from '../../api/client'
import type { EventType, Page, StoredEvent } from '../../api/types'
import { CopyButton } from '../../components/CopyButton'
import { Loading } from '../../components/Loading'
import { Pager } from '../../components/Pager'
import { TableWrap } from '../../components/TableWrap'
import { Time } from '../../components/Time'
import { useApi } from '../../hooks/useApi'
import { useQueryState } from '../../hooks/useQueryState'
import { useBase, useTenantApi } from '../../session-context'

/** Events, newest first, filtered by type (in the URL); each opens its payload and deliveries. */
export function EventsList() {
  const tenantApi = useTenantApi()
  const base = useBase()
  const [q, setQ] = useQueryState()
  const list = useApi<Page<StoredEvent>>(`${tenantApi}/events${query({ type: q.type, limit: 50, cursor: q.cursor })}`)
  const types = useApi<Page<EventType>>('/v1/event-types?limit=250')
  return (
    <section>
      <div class="page-head">
        <h1>Events</h1>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div class="filter">
          <label for="f-event-type">Event type</label>
          <select id="f-event-type" value={q.type ?? ''} onChange={(e) => setQ({ type: e.currentTarget.value, cursor: null })}>
            <option value="">Any</option>
            {(types.data?.data ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <p class="muted">No events yet.</p>
      ) : (
        <TableWrap label="Events">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Type</th>
                <th scope="col">Deliveries</th>
                <th scope="col">Channels</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((e) => (
                <tr key={e.id}>
                  <td>
                    <a href={`${base}/events/${enc(e.id)}`}>
                      <code>{e.id}</code>
                    </a>{' '}
                    <CopyButton text={e.id} label={`Copy ${e.id}`} />
                  </td>
                  <td>
                    <code class="tag">{e.type}</code>
                  </td>
                  <td>{e.deliveryCount}</td>
                  <td>{e.channels.join(', ') || <span class="muted">–</span>}</td>
                  <td>
                    <Time iso={e.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager cursor={q.cursor} next={list.data?.nextCursor} onFirst={() => setQ({ cursor: null })} onNext={(c) => setQ({ cursor: c })} />
    </section>
  )
}
