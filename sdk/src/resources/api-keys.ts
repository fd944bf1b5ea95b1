import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { ApiKey, ApiKeyCreate, ApiKeyCreated, ListQuery } from '../types.js'
import { tenantPath } from './path.js'

/** A tenant's API keys (admin token only). */
export class ApiKeys {
  constructor(private readonly t: Transport) {}

  /** The answer's `key` is shown only here: store it now. */
  create(tenantId: string, body: ApiKeyCreate): Promise<ApiKeyCreated> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'api-keys'), body, retry: false })
  }

  list(tenantId: string, query: ListQuery<'listApiKeys'> = {}): AsyncIterable<ApiKey> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'api-keys'), query: { ...query, cursor }, retry: true }))
  }

  async delete(tenantId: string, keyId: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: tenantPath(tenantId, 'api-keys', keyId), retry: true })
  }
}
