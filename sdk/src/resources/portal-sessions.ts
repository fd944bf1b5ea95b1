import { paginate } from '../paginate.js'
import type { Transport } from '../transport.js'
import type { ListQuery, PortalSession, PortalSessionCreate, PortalSessionCreated } from '../types.js'
import { tenantPath } from './path.js'

/** Short-lived links to a tenant's dashboard (admin token only). */
export class PortalSessions {
  constructor(private readonly t: Transport) {}

  create(tenantId: string, body: PortalSessionCreate = {}): Promise<PortalSessionCreated> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'portal-sessions'), body, retry: false })
  }

  list(tenantId: string, query: ListQuery<'listPortalSessions'> = {}): AsyncIterable<PortalSession> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'portal-sessions'), query: { ...query, cursor }, retry: true }))
  }

  /** Revokes the session's token at once. */
  async revoke(tenantId: string, sessionId: string): Promise<void> {
    await this.t.request({ method: 'DELETE', path: tenantPath(tenantId, 'portal-sessions', sessionId), retry: true })
  }

  /** The same as `revoke`, named as on the other resources. */
  delete(tenantId: string, sessionId: string): Promise<void> {
    return this.revoke(tenantId, sessionId)
  }
}
