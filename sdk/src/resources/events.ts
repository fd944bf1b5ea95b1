import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { Event, EventDetail, ListQuery, PublishRequest } from '../types.js'
import { tenantPath } from './path.js'

/** A random idempotency key: crypto.randomUUID exists in Node 20, browsers (secure contexts), Deno and Bun. */
const newIdempotencyKey = (): string => `sdk_${globalThis.crypto.randomUUID()}`

export class Events {
  constructor(private readonly t: Transport) {}

  /**
   * Publishes an event: one delivery per matching endpoint. Always sent with an idempotency key
   * (yours, or a generated one), so the retries after a timeout or a 5xx can never publish it twice:
   * the server answers a repeated key with the original event.
   */
  publish(tenantId: string, body: PublishRequest): Promise<Event> {
    const keyed = { ...body, idempotencyKey: body.idempotencyKey ?? newIdempotencyKey() }
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'events'), body: keyed, retry: true })
  }

  list(tenantId: string, query: ListQuery<'listEvents'> = {}): AsyncIterable<Event> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'events'), query: { ...query, cursor }, retry: true }))
  }

  /** The event with its deliveries. */
  get(tenantId: string, eventId: string): Promise<EventDetail> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'events', eventId), retry: true })
  }
}
