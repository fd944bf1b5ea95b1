import { useRoute } from 'preact-iso'
import { enc, post } from '../../api/client'
import { can } from '../../api/session'
import type { DeliveryDetail as Detail } from '../../api/types'
import { CopyId } from '../../components/CopyId'
import { Loading } from '../../components/Loading'
import { ProblemNote } from '../../components/ProblemNote'
import { StatusBadge } from '../../components/StatusBadge'
import { Time } from '../../components/Time'
import { useAction } from '../../hooks/useAction'
import { useApi } from '../../hooks/useApi'
import { useEndpointNames } from '../../hooks/useEndpointNames'
import { useLiveAttempts } from '../../hooks/useLiveAttempts'
import { useBase, useSession, useTenantApi } from '../../session-context'
import { AttemptView } from './AttemptView'

/** A delivery with every attempt's request and response shown without further clicks; Retry. */
export function DeliveryDetail() {
  const { params } = useRoute()
  const { session } = useSession()
  const tenantApi = useTenantApi()
  const base = useBase()
  const id = params.deliveryId!
  const d = useApi<Detail>(`${tenantApi}/deliveries/${enc(id)}`)
  const { names } = useEndpointNames(tenantApi)
  useLiveAttempts(tenantApi, (a) => {
    if (a.deliveryId === id) d.reload()
  })
  const retry = useAction(async () => {
    await post(`${tenantApi}/deliveries/${enc(id)}/retry`)
    d.reload()
  })
  if (d.data === undefined) return <Loading error={d.error} />
  const x = d.data
  return (
    <section>
      <div class="page-head">
        <h1>
          Delivery <StatusBadge status={x.inFlight ? 'in flight' : x.status} />
        </h1>
        {can(session, 'deliveries.retry') ? (
          <button type="button" class="primary" onClick={() => void retry.run()} disabled={retry.busy}>
            Retry
          </button>
        ) : null}
      </div>
      <ProblemNote error={retry.error} />
      <dl class="facts">
        <div>
          <dt>Delivery</dt>
          <dd>
            <CopyId id={x.id} />
          </dd>
        </div>
        <div>
          <dt>Event</dt>
          <dd>
            <a href={`${base}/events/${enc(x.eventId)}`}>{x.eventId}</a>
          </dd>
        </div>
        <div>
          <dt>Endpoint</dt>
          <dd>
            <a href={`${base}/endpoints/${enc(x.endpointId)}`}>{names[x.endpointId] ?? x.endpointId}</a>
          </dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd>{x.attemptCount}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time iso={x.createdAt} />
          </dd>
        </div>
        <div>
          <dt>Next attempt</dt>
          <dd>{x.nextAttemptAt ? <Time iso={x.nextAttemptAt} /> : <span class="muted">none</span>}</dd>
        </div>
      </dl>
      <h2>Attempts</h2>
      {x.attempts.length === 0 ? <p class="muted">No attempt yet.</p> : [...x.attempts].reverse().map((a) => <AttemptView key={a.id} attempt={a} />)}
    </section>
  )
}
