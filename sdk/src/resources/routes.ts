import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { ListQuery, Route, RouteCreate, RouteUpdate } from '../types.js'
import { tenantPath } from './path.js'

/** Gateway routes: `/gw/{tenantId}/{routeName}/...` forwarded to an upstream. */
export class Routes {
  constructor(private readonly t: Transport) {}

  create(tenantId: string, body: RouteCreate): Promise<Route> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'routes'), body, retry: false })
  }

  list(tenantId: string, query: ListQuery<'listRoutes'> = {}): AsyncIterable<Route> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'routes'), query: { ...query, cursor }, retry: true }))
  }

  get(tenantId: string, routeId: string): Promise<Route> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'routes', routeId), retry: true })
  }

  update(tenantId: string, routeId: string, body: RouteUpdate): Promise<Route> {
    return this.t.request({ method: 'PATCH', path: tenantPath(tenantId, 'routes', routeId), body, retry: false })
  }

  async delete(tenantId: string, routeId: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: tenantPath(tenantId, 'routes', routeId), retry: true })
  }
}
