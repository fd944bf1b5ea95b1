import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { ListQuery, StatsSeries, StatsSeriesQuery, Tenant, TenantCreate, TenantUpdate } from '../types.js'
import { tenantPath } from './path.js'

export class Tenants {
  constructor(private readonly t: Transport) {}

  create(body: TenantCreate): Promise<Tenant> {
    return this.t.request({ method: 'POST', path: '/v1/tenants', body, retry: false })
  }

  list(query: ListQuery<'listTenants'> = {}): AsyncIterable<Tenant> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: '/v1/tenants', query: { ...query, cursor }, retry: true }))
  }

  get(tenantId: string): Promise<Tenant> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId), retry: true })
  }

  update(tenantId: string, body: TenantUpdate): Promise<Tenant> {
    return this.t.request({ method: 'PATCH', path: tenantPath(tenantId), body, retry: false })
  }

  /** Deletes the tenant and everything it owns. */
  async delete(tenantId: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: tenantPath(tenantId), retry: true })
  }

  /** Every endpoint of the tenant together, per bucket: as `endpoints.statsSeries`. */
  statsSeries(tenantId: string, query: StatsSeriesQuery = {}): Promise<StatsSeries> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'stats', 'series'), query, retry: true })
  }
}
