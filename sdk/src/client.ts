import { ApiKeys } from './resources/api-keys.js'
import { Deliveries } from './resources/deliveries.js'
import { Endpoints } from './resources/endpoints.js'
import { Events } from './resources/events.js'
import { EventTypes } from './resources/event-types.js'
import { PortalSessions } from './resources/portal-sessions.js'
import { Routes } from './resources/routes.js'
import { Sources } from './resources/sources.js'
import { Tenants } from './resources/tenants.js'
import { Transport, type HookrelayOptions } from './transport.js'
import type { Whoami } from './types.js'

/**
 * The Hookrelay API client. Tenant-scoped calls take the tenant id first, then the resource id,
 * then the body or query; `list` calls return an async iterable over every item of every page.
 *
 *   const hr = new Hookrelay({ baseUrl: 'http://127.0.0.1:8080', token })
 *   await hr.events.publish('acme', { type: 'invoice.paid', payload: { id: 'in_1' } })
 */
export class Hookrelay {
  readonly tenants: Tenants
  readonly apiKeys: ApiKeys
  readonly portalSessions: PortalSessions
  readonly eventTypes: EventTypes
  readonly endpoints: Endpoints
  readonly events: Events
  readonly deliveries: Deliveries
  readonly sources: Sources
  readonly routes: Routes
  private readonly transport: Transport

  constructor(options: HookrelayOptions) {
    const t = new Transport(options)
    this.transport = t
    this.tenants = new Tenants(t)
    this.apiKeys = new ApiKeys(t)
    this.portalSessions = new PortalSessions(t)
    this.eventTypes = new EventTypes(t)
    this.endpoints = new Endpoints(t)
    this.events = new Events(t)
    this.deliveries = new Deliveries(t)
    this.sources = new Sources(t)
    this.routes = new Routes(t)
  }

  /** Whose token this is: `admin`, `tenant` (with its tenantId) or `portal` (with its capabilities). */
  whoami(): Promise<Whoami> {
    return this.transport.request({ method: 'GET', path: '/v1/whoami', retry: true })
  }
}
