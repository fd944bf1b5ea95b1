import { useRoute } from 'preact-iso'
import { enc } from '../../api/client'
import type { StoredEvent } from '../../api/types'
import { CodeBlock, json } from '../../components/CodeBlock'
import { CopyId } from '../../components/CopyId'
import { Loading } from '../../components/Loading'
import { Time } from '../../components/Time'
import { useApi } from '../../hooks/useApi'
import { useEndpointNames } from '../../hooks/useEndpointNames'
import { useBase, useTenantApi } from '../../session-context'
import { DeliveriesTable } from '../deliveries/DeliveriesTable'

/** An event: its payload and the delivery it made to each endpoint. */
export function EventDetail() {
  const { params } = useRoute()
  const tenantApi = useTenantApi()
  const base = useBase()
  const ev = useApi<StoredEvent>(`${tenantApi}/events/${enc(params.eventId!)}`)
  const { names } = useEndpointNames(tenantApi)
  if (ev.data === undefined) return <Loading error={ev.error} />
  const e = ev.data
  return (
    <section>
      <div class="page-head">
        <h1>
          Event <code>{e.type}</code>
        </h1>
      </div>
      <dl class="facts">
        <div>
          <dt>Event</dt>
          <dd>
            <CopyId id={e.id} />
          </dd>
        </div>
        <div>
          <dt>Occurred</dt>
          <dd>
            <Time iso={e.occurredAt} />
          </dd>
        </div>
        <div>
          <dt>Channels</dt>
          <dd>{e.channels.join(', ') || 'none'}</dd>
        </div>
        <div>
          <dt>Idempotency key</dt>
          <dd>{e.idempotencyKey ?? <span class="muted">none</span>}</dd>
        </div>
      </dl>
      <h2>Payload</h2>
      <CodeBlock text={json(e.payload)} label="Event payload" />
      <h2>Deliveries</h2>
      <DeliveriesTable rows={e.deliveries ?? []} base={base} label="Deliveries of this event" endpointNames={names} />
    </section>
  )
}
