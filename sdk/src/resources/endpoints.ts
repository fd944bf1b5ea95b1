import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { Attempt, Endpoint, EndpointCreate, EndpointPreviewRequest, EndpointRecover, EndpointStats, EndpointTest, EndpointUpdate, ListQuery, PreviewedRequest, QueryParams, StatsSeries, StatsSeriesQuery } from '../types.js'
import { tenantPath } from './path.js'

export class Endpoints {
  constructor(private readonly t: Transport) {}

  /** Only `url` is required; the other fields default as API.md shows. */
  create(tenantId: string, body: EndpointCreate): Promise<Endpoint> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'endpoints'), body, retry: false })
  }

  /**
   * The exact request a delivery to an endpoint made of `body.endpoint` (create's fields) would send
   * now: method, URL, headers (signed with a placeholder secret) and body as sent, rendered against
   * `body.payload`, else the event type's example, else `{}`. Nothing is sent or stored. A template
   * that fails to render throws HookrelayError `template_failed` (422).
   */
  async preview(tenantId: string, body: EndpointPreviewRequest): Promise<PreviewedRequest> {
    // Retried like a read: a preview changes nothing.
    const res = await this.t.request<{ request: PreviewedRequest }>({ method: 'POST', path: tenantPath(tenantId, 'endpoints', 'preview'), body, retry: true })
    return res.request
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

  /**
   * The endpoint's attempts per bucket (`1m`, `5m`, `1h` default, `1d`) from `since` (default 24 hours
   * before `until`) to `until` (default now): one item per bucket, empty ones included, aligned to UTC.
   */
  statsSeries(tenantId: string, endpointId: string, query: StatsSeriesQuery = {}): Promise<StatsSeries> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'endpoints', endpointId, 'stats', 'series'), query, retry: true })
  }

  /** Re-queues the endpoint's failed deliveries since `since`; with `dryRun` only counts them. */
  recover(tenantId: string, endpointId: string, body: EndpointRecover): Promise<{ count: number }> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'endpoints', endpointId, 'recover'), body, retry: false })
  }
}
