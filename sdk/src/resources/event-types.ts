import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { EventType, EventTypeCreate, EventTypeUpdate, ListQuery } from '../types.js'
import { path } from './path.js'

/** The event-type catalog (server-wide; tenant keys and portal tokens may read it). */
export class EventTypes {
  constructor(private readonly t: Transport) {}

  create(body: EventTypeCreate): Promise<EventType> {
    return this.t.request({ method: 'POST', path: '/v1/event-types', body, retry: false })
  }

  list(query: ListQuery<'listEventTypes'> = {}): AsyncIterable<EventType> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: '/v1/event-types', query: { ...query, cursor }, retry: true }))
  }

  get(name: string): Promise<EventType> {
    return this.t.request({ method: 'GET', path: `/v1/event-types${path(name)}`, retry: true })
  }

  update(name: string, body: EventTypeUpdate): Promise<EventType> {
    return this.t.request({ method: 'PATCH', path: `/v1/event-types${path(name)}`, body, retry: false })
  }

  async delete(name: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: `/v1/event-types${path(name)}`, retry: true })
  }
}
