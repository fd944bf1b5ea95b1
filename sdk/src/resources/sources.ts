import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { ListQuery, Source, SourceCreate, SourceLog, SourceUpdate } from '../types.js'
import { tenantPath } from './path.js'

/** Inbound sources: webhooks other services send to `/in/{sourceId}`. */
export class Sources {
  constructor(private readonly t: Transport) {}

  create(tenantId: string, body: SourceCreate): Promise<Source> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'sources'), body, retry: false })
  }

  list(tenantId: string, query: ListQuery<'listSources'> = {}): AsyncIterable<Source> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'sources'), query: { ...query, cursor }, retry: true }))
  }

  get(tenantId: string, sourceId: string): Promise<Source> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'sources', sourceId), retry: true })
  }

  update(tenantId: string, sourceId: string, body: SourceUpdate): Promise<Source> {
    return this.t.request({ method: 'PATCH', path: tenantPath(tenantId, 'sources', sourceId), body, retry: false })
  }

  async delete(tenantId: string, sourceId: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: tenantPath(tenantId, 'sources', sourceId), retry: true })
  }

  /** The verification secret. */
  async getSecret(tenantId: string, sourceId: string): Promise<string> {
    const res = await this.t.request<{ secret: string }>({ method: 'GET', path: tenantPath(tenantId, 'sources', sourceId, 'secret'), retry: true })
    return res.secret
  }

  async rotateSecret(tenantId: string, sourceId: string, body: { secret?: string } = {}): Promise<string> {
    const res = await this.t.request<{ secret: string }>({ method: 'POST', path: tenantPath(tenantId, 'sources', sourceId, 'secret', 'rotate'), body, retry: false })
    return res.secret
  }

  /** Each request the source received, newest first. */
  logs(tenantId: string, sourceId: string, query: ListQuery<'listSourceLogs'> = {}): AsyncIterable<SourceLog> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'sources', sourceId, 'logs'), query: { ...query, cursor }, retry: true }))
  }
}
