import { enc } from '../../api/client'
import type { Delivery } from '../../api/types'
import { CopyButton } from '../../components/CopyButton'
import { StatusBadge } from '../../components/StatusBadge'
import { TableWrap } from '../../components/TableWrap'
import { Time } from '../../components/Time'

/** Deliveries, newest first: status, event, endpoint, attempts, times; each opens its detail. */
export function DeliveriesTable({ rows, base, label = 'Deliveries', endpointNames = {} }: { rows: Delivery[]; base: string; label?: string; endpointNames?: Record<string, string> }) {
  if (rows.length === 0) return <p class="muted">No deliveries.</p>
  return (
    <TableWrap label={label}>
      <table>
        <thead>
          <tr>
            <th scope="col">Delivery</th>
            <th scope="col">Status</th>
            <th scope="col">Event</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Attempts</th>
            <th scope="col">Created</th>
            <th scope="col">Next attempt</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              <td>
                <a href={`${base}/deliveries/${enc(d.id)}`}>
                  <code>{d.id}</code>
                </a>{' '}
                <CopyButton text={d.id} label={`Copy ${d.id}`} />
              </td>
              <td>
                <StatusBadge status={d.inFlight ? 'in flight' : d.status} />
              </td>
              <td>
                {d.eventType ? <code class="tag">{d.eventType}</code> : null} <a class="break" href={`${base}/events/${enc(d.eventId)}`}>
                  <code>{d.eventId}</code>
                </a>
              </td>
              <td>
                <a href={`${base}/endpoints/${enc(d.endpointId)}`}>{endpointNames[d.endpointId] ?? d.endpointId}</a>
              </td>
              <td>{d.attemptCount}</td>
              <td>
                <Time iso={d.createdAt} />
              </td>
              <td>{d.status === 'pending' && d.nextAttemptAt ? <Time iso={d.nextAttemptAt} /> : <span class="muted">–</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  )
}
