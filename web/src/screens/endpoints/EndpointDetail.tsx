import { useState } from 'preact/hooks'
import { useLocation, useRoute } from 'preact-iso'
import { del, enc, query } from '../../api/client'
import { can } from '../../api/session'
import type { Delivery, Endpoint, EventType, Page } from '../../api/types'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { CopyId } from '../../components/CopyId'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { StatusBadge } from '../../components/StatusBadge'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useLiveAttempts } from '../../hooks/useLiveAttempts'
import { useBase, useSession, useTenantApi } from '../../session-context'
import { DeliveriesTable } from '../deliveries/DeliveriesTable'
import { EndpointHealth } from './EndpointHealth'
import { RecoverPanel } from './RecoverPanel'
import { SecretPanel } from './SecretPanel'
import { TestSend } from './TestSend'

/** One endpoint: what it is, its health, its secret, a test send, recovery, and its recent deliveries (live). */
export function EndpointDetail() {
  const { params } = useRoute()
  const { session } = useSession()
  const { route } = useLocation()
  const tenantApi = useTenantApi()
  const base = useBase()
  const id = params.endpointId!
  const ep = useApi<Endpoint>(`${tenantApi}/endpoints/${enc(id)}`)
  const recent = useApi<Page<Delivery>>(`${tenantApi}/deliveries${query({ endpointId: id, limit: 10 })}`)
  const types = useApi<Page<EventType>>('/v1/event-types?limit=250')
  const [refresh, setRefresh] = useState(0)
  const [deleting, setDeleting] = useState(false)
  useLiveAttempts(tenantApi, (a) => {
    if (a.endpointId !== id) return
    recent.reload()
    setRefresh((n) => n + 1)
  })
  const remove = useAction(async () => {
    await del(`${tenantApi}/endpoints/${enc(id)}`)
    route(`${base}/endpoints`)
  })
  if (ep.data === undefined) return <Loading error={ep.error} />
  const e = ep.data
  const writable = can(session, 'endpoints.write')
  return (
    <section>
      <div class="page-head">
        <div>
          <h1>{e.name || e.url}</h1>
          <p class="sub">
            <CopyId id={e.id} /> <StatusBadge status={e.enabled ? 'enabled' : 'disabled'} />
          </p>
        </div>
        {writable ? (
          <div class="actions">
            <button type="button" onClick={() => route(`${base}/endpoints/${enc(id)}/edit`)}>
              Edit
            </button>
            <button type="button" class="ghost danger-text" onClick={() => setDeleting(true)}>
              Delete
            </button>
          </div>
        ) : null}
      </div>
      {e.disabledReason ? <p class="note">Disabled: {e.disabledReason}</p> : null}
      <dl class="facts">
        <div>
          <dt>URL</dt>
          <dd>
            <code class="break">
              {e.method} {e.url}
            </code>
          </dd>
        </div>
        <div>
          <dt>Event types</dt>
          <dd>{e.eventTypes.length ? e.eventTypes.map((t) => <code class="tag" key={t}>{t}</code>) : 'All types'}</dd>
        </div>
        <div>
          <dt>Channels</dt>
          <dd>{e.channels.length ? e.channels.join(', ') : 'All channels'}</dd>
        </div>
        <div>
          <dt>Retry</dt>
          <dd>{e.retry.enabled ? `up to ${e.retry.maxRetries}${e.retry.schedule ? ` after ${e.retry.schedule.join(', ')} s` : ''}` : 'off'}</dd>
        </div>
        <div>
          <dt>Timeout</dt>
          <dd>{e.timeoutSeconds} s</dd>
        </div>
        {e.description ? (
          <div>
            <dt>Description</dt>
            <dd>{e.description}</dd>
          </div>
        ) : null}
      </dl>
      <EndpointHealth tenantApi={tenantApi} endpointId={id} refresh={refresh} />
      <div class="grid-2">
        <SecretPanel tenantApi={tenantApi} endpointId={id} />
        <RecoverPanel tenantApi={tenantApi} endpointId={id} onRecovered={() => recent.reload()} />
      </div>
      <TestSend tenantApi={tenantApi} endpointId={id} types={types.data?.data ?? []} onSent={() => (recent.reload(), setRefresh((n) => n + 1))} />
      <section class="card" aria-labelledby="recent-title">
        <div class="card-head">
          <h2 id="recent-title">Recent deliveries</h2>
          <a href={`${base}/deliveries?endpointId=${enc(id)}`}>All deliveries of this endpoint</a>
        </div>
        {recent.data ? <DeliveriesTable rows={recent.data.data} base={base} label="Recent deliveries" /> : <Loading error={recent.error} />}
      </section>
      <ProblemNote error={remove.error} />
      <ConfirmDialog open={deleting} title="Delete this endpoint?" confirm="Delete" busy={remove.busy} onCancel={() => setDeleting(false)} onConfirm={() => void remove.run()}>
        <p>It stops receiving events at once. Its delivery history goes with it.</p>
      </ConfirmDialog>
    </section>
  )
}
