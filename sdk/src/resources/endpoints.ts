import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { Attempt, Endpoint, EndpointCreate, EndpointRecover, EndpointStats, EndpointTest, EndpointUpdate, ListQuery, QueryParams } from '../types.js'
import { tenantPath } from './path.js'

export class Endpoints {
  constructor(private readonly t: Transport) {}

  /** Only `url` is required; the other fields default as API.md shows. */
  create(tenantId: string, body: EndpointCreate): Promise<Endpoint> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'endpoints'), body, retry: false })
  }

  list(tenantId: string, query: ListQuery<'listEndpoints'> = {}): AsyncIterable<Endpoint> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'endpoints'), query: { ...query, cursor }, retry: true }))
  }

  get(tenantId: string, endpointId: string): Promise<Endpoint> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'endpoints', endpointId), retry: true })
  }

  update(tenantId: string, endpointId: string, body: EndpointUpdate): Promise<Endpoint> {
    return this.t.request({ method: 'PATCH', path: tenantPath(tenantId, 'endpoints', endpointId), body, retry: false })
  }

  async delete(tenantId: string, endpointId: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: tenantPath(tenantId, 'endpoints', endpointId), retry: true })
  }

  /** The signing secret, `whsec_...`. */
  async getSecret(tenantId: string, endpointId: string): Promise<string> {
    const res = await this.t.request<{ secret: string }>({ method: 'GET', path: tenantPath(tenantId, 'endpoints', endpointId, 'secret'), retry: true })
    return res.secret
  }

  /**
   * A new signing secret (given, or generated), returned as `whsec_...`. The old one keeps signing
   * beside it for 24 hours, so receivers can switch without missing a delivery.
   */
  async rotateSecret(tenantId: string, endpointId: string, body: { secret?: string } = {}): Promise<string> {
    const res = await this.t.request<{ secret: string }>({ method: 'POST', path: tenantPath(tenantId, 'endpoints', endpointId, 'secret', 'rotate'), body, retry: false })
    return res.secret
  }

  /** Sends one event (default `webhook.test`) now, whatever the endpoint's filters; resolves to the attempt. */
  test(tenantId: string, endpointId: string, body: EndpointTest = {}): Promise<Attempt> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'endpoints', endpointId, 'test'), body, retry: false })
  }

  /** Counts and response times since `since` (default: the last 24 hours). */
  stats(tenantId: string, endpointId: string, query: QueryParams<'getEndpointStats'> = {}): Promise<EndpointStats> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'endpoints', endpointId, 'stats'), query, retry: true })
  }

  /** Re-queues the endpoint's failed deliveries since `since`; with `dryRun` only counts them. */
  recover(tenantId: string, endpointId: string, body: EndpointRecover): Promise<{ count: number }> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'endpoints', endpointId, 'recover'), body, retry: false })
  }
}
