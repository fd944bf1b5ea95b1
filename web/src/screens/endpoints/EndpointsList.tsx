import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { enc, patch, query } from '../../api/client'
import { can } from '../../api/session'
import type { Endpoint, Page } from '../../api/types'
import { CopyId } from '../../components/CopyId'
import { Loading } from '../../components/Loading'
import { Pager } from '../../components/Pager'
import { ProblemNote } from '../../components/ProblemNote'
import { TableWrap } from '../../components/TableWrap'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useQueryState } from '../../hooks/useQueryState'
import { useBase, useSession, useTenantApi } from '../../session-context'
import { EndpointHealthCells } from './EndpointHealthCells'

/** Endpoints: name, URL, enabled, event types, last delivery, a 24-hour sparkline; search by name, URL or type. */
export function EndpointsList() {
  const { session } = useSession()
  const tenantApi = useTenantApi()
  const base = useBase()
  const { route } = useLocation()
  const [q, setQ] = useQueryState()
  const list = useApi<Page<Endpoint>>(`${tenantApi}/endpoints${query({ limit: 100, cursor: q.cursor })}`)
  const [search, setSearch] = useState(q.search ?? '')
  const toggle = useAction(async (ep: Endpoint, enabled: boolean) => {
    const updated = await patch<Endpoint>(`${tenantApi}/endpoints/${enc(ep.id)}`, { enabled })
    list.set({ ...list.data!, data: list.data!.data.map((e) => (e.id === ep.id ? updated : e)) })
  })
  const writable = can(session, 'endpoints.write')
  const needle = search.trim().toLowerCase()
  const shown = (list.data?.data ?? []).filter(
    (e) => needle === '' || [e.name, e.url, e.id, e.description, ...e.eventTypes].some((s) => s.toLowerCase().includes(needle)),
  )
  return (
    <section>
      <div class="page-head">
        <h1>Endpoints</h1>
        {writable ? (
          <button type="button" class="primary" onClick={() => route(`${base}/endpoints/new`)}>
            Create endpoint
          </button>
        ) : null}
      </div>
      <div class="toolbar">
        <label class="inline">
          <span>Search</span>
          <input
            type="search"
            value={search}
            placeholder="Name, URL or event type"
            onInput={(e) => {
              setSearch(e.currentTarget.value)
              setQ({ search: e.currentTarget.value })
            }}
          />
        </label>
      </div>
      <ProblemNote error={toggle.error} />
      {list.data === undefined ? (
        <Loading error={list.error} />
      ) : list.data.data.length === 0 ? (
        <div class="empty-state">
          <p>No endpoints yet. An endpoint is a URL that receives this tenant's events, signed.</p>
        </div>
      ) : (
        <TableWrap label="Endpoints">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Enabled</th>
                <th scope="col">Event types</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Last 24 hours</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((ep) => (
                <tr key={ep.id}>
                  <td>
                    <a href={`${base}/endpoints/${enc(ep.id)}`}>{ep.name || ep.url}</a>
                    <div>
                      <CopyId id={ep.id} />
                    </div>
                  </td>
                  <td class="url">
                    <code>{ep.url}</code>
                  </td>
                  <td>
                    <label class="switch">
                      <input
                        type="checkbox"
                        checked={ep.enabled}
                        disabled={!writable || toggle.busy}
                        aria-label={`Enabled: ${ep.name || ep.url}`}
                        onChange={(e) => void toggle.run(ep, e.currentTarget.checked)}
                      />
                      <span aria-hidden="true">{ep.enabled ? 'On' : 'Off'}</span>
                    </label>
                    {ep.disabledReason ? <div class="muted small">{ep.disabledReason}</div> : null}
                  </td>
                  <td>{ep.eventTypes.length === 0 ? <span class="muted">All types</span> : ep.eventTypes.map((t) => <code class="tag" key={t}>{t}</code>)}</td>
                  <EndpointHealthCells tenantApi={tenantApi} endpointId={ep.id} />
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p class="muted">No endpoint matches “{search}”.</p> : null}
        </TableWrap>
      )}
      <Pager cursor={q.cursor} next={list.data?.nextCursor} onFirst={() => setQ({ cursor: null })} onNext={(c) => setQ({ cursor: c })} />
    </section>
  )
}
