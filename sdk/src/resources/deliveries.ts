import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { Delivery, DeliveryDetail, ListQuery } from '../types.js'
import { tenantPath } from './path.js'

export class Deliveries {
  constructor(private readonly t: Transport) {}

  /** Newest first; filter by endpointId, eventId, eventType, status, since, until. */
  list(tenantId: string, query: ListQuery<'listDeliveries'> = {}): AsyncIterable<Delivery> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'deliveries'), query: { ...query, cursor }, retry: true }))
  }

  /** The delivery with every attempt. */
  get(tenantId: string, deliveryId: string): Promise<DeliveryDetail> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'deliveries', deliveryId), retry: true })
  }

  /** One more attempt now, whatever its status. Not retried by the client: each call is one more attempt. */
  retry(tenantId: string, deliveryId: string): Promise<Delivery> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'deliveries', deliveryId, 'retry'), retry: false })
  }
}
