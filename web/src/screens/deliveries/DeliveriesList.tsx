import { useRef, useState } from 'preact/hooks'
import { query } from '../../api/client'
import type { Delivery, EventType, Page } from '../../api/types'
import { Loading } from '../../components/Loading'
import { Pager } from '../../components/Pager'
import { useApi } from '../../hooks/useApi'
import { useEndpointNames } from '../../hooks/useEndpointNames'
import { useLiveAttempts } from '../../hooks/useLiveAttempts'
import { useQueryState } from '../../hooks/useQueryState'
import { useBase, useTenantApi } from '../../session-context'
import { DeliveriesTable } from './DeliveriesTable'

const toIso = (local: string) => (local === '' ? undefined : new Date(local).toISOString())
const toLocal = (iso: string | undefined) => (iso ? new Date(new Date(iso).getTime() - new Date(iso).getTimezoneOffset() * 60_000).toISOString().slice(0, 16) : '')

/** Deliveries with filters in the URL (shareable, kept on reload), cursor paging, and new attempts arriving live. */
export function DeliveriesList() {
  const tenantApi = useTenantApi()
  const base = useBase()
  const [q, setQ] = useQueryState()
  const path = `${tenantApi}/deliveries${query({ status: q.status, endpointId: q.endpointId, eventType: q.eventType, since: q.since, until: q.until, limit: 50, cursor: q.cursor })}`
  const list = useApi<Page<Delivery>>(path)
  const { endpoints, names } = useEndpointNames(tenantApi)
  const types = useApi<Page<EventType>>('/v1/event-types?limit=250')
  const [arrived, setArrived] = useState(0)
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  // New attempts refresh the first page (a burst: once); on a later page they are only counted.
  const live = useLiveAttempts(tenantApi, () => {
    if (q.cursor) {
      setArrived((n) => n + 1)
      return
    }
    if (timer.current) clearTimeout(timer.current)
    timer.current = setTimeout(() => list.reload(), 250)
  })
  return (
    <section>
      <div class="page-head">
        <h1>Deliveries</h1>
        <span class={`live ${live ? 'on' : ''}`} role="status">
          {live ? 'Live' : 'Connecting…'}
        </span>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <div class="filter">
          <label for="f-status">Status</label>
          <select id="f-status" value={q.status ?? ''} onChange={(e) => setQ({ status: e.currentTarget.value, cursor: null })}>
            <option value="">Any</option>
            <option value="pending">pending</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </div>
        <div class="filter">
          <label for="f-endpoint">Endpoint</label>
          <select id="f-endpoint" value={q.endpointId ?? ''} onChange={(e) => setQ({ endpointId: e.currentTarget.value, cursor: null })}>
            <option value="">Any</option>
            {endpoints.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name || e.url}
              </option>
            ))}
            {q.endpointId && !names[q.endpointId] ? <option value={q.endpointId}>{q.endpointId}</option> : null}
          </select>
        </div>
        <div class="filter">
          <label for="f-event-type">Event type</label>
          <select id="f-event-type" value={q.eventType ?? ''} onChange={(e) => setQ({ eventType: e.currentTarget.value, cursor: null })}>
            <option value="">Any</option>
            {(types.data?.data ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
            {q.eventType && !(types.data?.data ?? []).some((t) => t.name === q.eventType) ? <option value={q.eventType}>{q.eventType}</option> : null}
          </select>
        </div>
        <div class="filter">
          <label for="f-since">Since</label>
          <input id="f-since" type="datetime-local" value={toLocal(q.since)} onChange={(e) => setQ({ since: toIso(e.currentTarget.value), cursor: null })} />
        </div>
        <div class="filter">
          <label for="f-until">Until</label>
          <input id="f-until" type="datetime-local" value={toLocal(q.until)} onChange={(e) => setQ({ until: toIso(e.currentTarget.value), cursor: null })} />
        </div>
        {q.status || q.endpointId || q.eventType || q.since || q.until ? (
          <button type="button" class="ghost small" onClick={() => setQ({ status: null, endpointId: null, eventType: null, since: null, until: null, cursor: null })}>
            Clear filters
          </button>
        ) : null}
      </form>
      {arrived > 0 ? (
        <p class="note">
          {arrived} new {arrived === 1 ? 'attempt' : 'attempts'} since this page loaded.{' '}
          <button type="button" class="ghost small" onClick={() => (setArrived(0), setQ({ cursor: null }))}>
            Show newest
          </button>
        </p>
      ) : null}
      {list.data === undefined ? <Loading error={list.error} /> : <DeliveriesTable rows={list.data.data} base={base} endpointNames={names} />}
      <Pager cursor={q.cursor} next={list.data?.nextCursor} onFirst={() => setQ({ cursor: null })} onNext={(c) => setQ({ cursor: c })} />
    </section>
  )
}
