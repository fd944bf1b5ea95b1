import { useState } from 'preact/hooks'
import { useRoute } from 'preact-iso'
import { enc, patch, query } from '../../api/client'
import type { Page, Source, SourceLog } from '../../api/types'
import { CodeBlock } from '../../components/CodeBlock'
import { CopyButton } from '../../components/CopyButton'
import { CopyId } from '../../components/CopyId'
import { Loading } from '../../components/Loading'
import { Pager } from '../../components/Pager'
import { StatusBadge } from '../../components/StatusBadge'
import { TableWrap } from '../../components/TableWrap'
import { Time } from '../../components/Time'
import { useApi } from '../../hooks/useApi'
import { useQueryState } from '../../hooks/useQueryState'
import { useBase, useTenantApi } from '../../session-context'
import { SourceForm } from './SourceForm'

/** A source: its ingest URL to copy, its settings and mappings, and the log of requests with each action's outcome. */
export function SourceDetail() {
  const { params } = useRoute()
  const tenantApi = useTenantApi()
  const base = useBase()
  const id = params.sourceId!
  const [q, setQ] = useQueryState()
  const src = useApi<Source>(`${tenantApi}/sources/${enc(id)}`)
  const logs = useApi<Page<SourceLog>>(`${tenantApi}/sources/${enc(id)}/logs${query({ limit: 50, cursor: q.cursor })}`)
  const [editing, setEditing] = useState(false)
  if (src.data === undefined) return <Loading error={src.error} />
  const s = src.data
  return (
    <section>
      <div class="page-head">
        <div>
          <h1>{s.name}</h1>
          <p class="sub">
            <CopyId id={s.id} /> <StatusBadge status={s.enabled ? 'enabled' : 'disabled'} />
          </p>
        </div>
        <div class="actions">
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            Edit
          </button>
          <button type="button" class="ghost" onClick={() => void patch<Source>(`${tenantApi}/sources/${enc(id)}`, { enabled: !s.enabled }).then(src.set)}>
            {s.enabled ? 'Disable' : 'Enable'}
          </button>
        </div>
      </div>
      <section class="card" aria-labelledby="ingest-title">
        <h2 id="ingest-title">Ingest URL</h2>
        <p class="secret-row">
          <code class="break">{s.ingestUrl}</code> <CopyButton text={s.ingestUrl} label="Copy ingest URL" />
        </p>
        <p class="hint">
          Give this URL to the sending service (POST, any JSON body). <code class="break">{s.ingestUrl}/track</code> takes Segment track calls.
        </p>
        <dl class="facts">
          <div>
            <dt>Verification</dt>
            <dd>
              <code>{s.verification.type}</code>
              {s.verification.header ? ` header ${s.verification.header}` : ''}
              {s.verification.secret ? ` · secret ${s.verification.secret}` : ''}
            </dd>
          </div>
          <div>
            <dt>Event type path</dt>
            <dd>
              <code>{s.eventTypePath}</code>
            </dd>
          </div>
          <div>
            <dt>Idempotency</dt>
            <dd>{s.idempotency ? `${s.idempotency.keyPath} for ${s.idempotency.windowSeconds} s` : 'none'}</dd>
          </div>
        </dl>
      </section>
      {editing ? (
        <SourceForm
          source={s}
          submitLabel="Save"
          onSave={async (body) => {
            src.set(await patch<Source>(`${tenantApi}/sources/${enc(id)}`, body))
            setEditing(false)
          }}
        />
      ) : null}
      <section class="card" aria-labelledby="mappings-title">
        <h2 id="mappings-title">Mappings</h2>
        {s.mappings.length === 0 ? (
          <p class="muted">No mappings: requests are verified and logged, nothing is published.</p>
        ) : (
          <TableWrap label="Mappings">
            <table>
              <thead>
                <tr>
                  <th scope="col">Received type</th>
                  <th scope="col">Action</th>
                  <th scope="col">Publish as</th>
                  <th scope="col">Fields</th>
                  <th scope="col">Required</th>
                </tr>
              </thead>
              <tbody>
                {s.mappings.map((m, i) => (
                  <tr key={i}>
                    <td>
                      <code>{m.eventType}</code>
                    </td>
                    <td>{m.action}</td>
                    <td>{m.publishAs ?? <span class="muted">same type</span>}</td>
                    <td>{m.fields ? Object.entries(m.fields).map(([k, v]) => <div key={k}><code>{k}</code> ← <code>{v}</code></div>) : <span class="muted">whole body</span>}</td>
                    <td>{m.required.join(', ') || <span class="muted">–</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
      <section aria-labelledby="log-title">
        <h2 id="log-title">Request log</h2>
        {logs.data === undefined ? (
          <Loading error={logs.error} />
        ) : logs.data.data.length === 0 ? (
          <p class="muted">No requests received yet.</p>
        ) : (
          <TableWrap label="Request log">
            <table>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Status</th>
                  <th scope="col">Event type</th>
                  <th scope="col">Actions</th>
                  <th scope="col">Request</th>
                </tr>
              </thead>
              <tbody>
                {logs.data.data.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Time iso={r.receivedAt} />
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                      {r.error ? <div class="small">{r.error}</div> : null}
                    </td>
                    <td>{r.eventType ? <code>{r.eventType}</code> : <span class="muted">–</span>}</td>
                    <td>
                      {r.actions.length === 0 ? <span class="muted">none</span> : null}
                      {r.actions.map((a, i) => (
                        <div key={i}>
                          {a.action} <StatusBadge status={a.status} />
                          {a.eventId ? (
                            <>
                              {' '}
                              <a href={`${base}/events/${enc(a.eventId)}`}>{a.eventId}</a>
                            </>
                          ) : null}
                          {a.error ? <span class="small"> {a.error}</span> : null}
                        </div>
                      ))}
                    </td>
                    <td>
                      {r.request ? (
                        <details>
                          <summary>
                            {r.request.method} <code class="break">{r.request.path}</code>
                          </summary>
                          <CodeBlock text={r.request.body} label={`Request ${r.id} body`} />
                        </details>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        <Pager cursor={q.cursor} next={logs.data?.nextCursor} onFirst={() => setQ({ cursor: null })} onNext={(c) => setQ({ cursor: c })} />
      </section>
    </section>
  )
}
