import type { Endpoint, EndpointAuth } from '../core/model.js'
import { retryPolicyFor, type RetryPolicy } from '../core/retry-policy.js'
import { compileShape, type RequestShape } from '../core/shaping/request-shape.js'
import type { Store } from '../store/store.js'
import type { SecretBox } from './secret-keys.js'

/** An endpoint as the dispatcher sends to it: the record plus the secrets that sign right now. */
export interface SendTarget {
  endpoint: Endpoint
  /** The current secret first; the previous one too while its 24 hours last. */
  secrets: string[]
  /** When the previous secret stops signing, so the cache entry expires with it. */
  validUntil: number
  /** The endpoint's retry settings as the dispatcher applies them, worked out once per load. */
  retryPolicy: RetryPolicy
  /** The request settings compiled, with the tenant's and endpoint's values for templates. */
  shape: RequestShape
  /** Set when a template no longer compiles (saved by an older version): attempts fail with kind `template`. */
  shapeError: string | null
}

/**
 * Cached reads on the hot path: which endpoints a tenant's publish fans out to, and what the
 * dispatcher needs to send. Changes made in this process invalidate at once; entries also expire
 * after `ttlMs` (default 5 s) so changes made by another node show up without a restart.
 */
export class EndpointDirectory {
  private readonly tenants = new Map<string, { at: number; value: Promise<Endpoint[] | null> }>()
  private readonly targets = new Map<string, { at: number; value: Promise<SendTarget | null> }>()

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 5000,
  ) {}

  /** The tenant's enabled endpoints, or null when the tenant does not exist. */
  fanOutCandidates(tenantId: string): Promise<Endpoint[] | null> {
    const t = this.now()
    const hit = this.tenants.get(tenantId)
    if (hit && t - hit.at < this.ttlMs) return hit.value
    const value = (async () => {
      if (!(await this.store.getTenant(tenantId))) return null
      return this.store.listEnabledEndpoints(tenantId)
    })()
    this.tenants.set(tenantId, { at: t, value })
    value.catch(() => this.tenants.delete(tenantId))
    return value
  }

  sendTarget(endpointId: string): Promise<SendTarget | null> {
    const t = this.now()
    const hit = this.targets.get(endpointId)
    if (hit && t - hit.at < this.ttlMs) {
      return hit.value.then((v) => (v === null || v.validUntil > this.now() ? v : this.reloadTarget(endpointId)))
    }
    return this.reloadTarget(endpointId)
  }

  private reloadTarget(endpointId: string): Promise<SendTarget | null> {
    const value = (async (): Promise<SendTarget | null> => {
      const [endpoint, sealed] = await Promise.all([this.store.getEndpoint(null, endpointId), this.store.getSecrets(endpointId)])
      if (!endpoint || !sealed) return null
      const tenant = await this.store.getTenant(endpoint.tenantId)
      if (!tenant) return null
      const now = this.now()
      const secrets = [this.box.open(sealed.current)]
      let validUntil = Number.POSITIVE_INFINITY
      if (sealed.previous !== null && sealed.previousExpiresAt !== null && sealed.previousExpiresAt > now) {
        secrets.push(this.box.open(sealed.previous))
        validUntil = sealed.previousExpiresAt
      }
      const owner = { id: tenant.id, name: tenant.name, metadata: tenant.metadata }
      const { shape, errors } = compileShape(endpoint, owner, this.openAuth(endpoint.auth))
      const shapeError = errors.length === 0 ? null : errors.map((e) => `${e.path.slice(1)} ${e.message}`).join('; ')
      return { endpoint, secrets, validUntil, retryPolicy: retryPolicyFor(endpoint.retry), shape, shapeError }
    })()
    this.targets.set(endpointId, { at: this.now(), value })
    value.catch(() => this.targets.delete(endpointId))
    return value
  }

  seal(secret: string): string {
    return this.box.seal(secret)
  }

  open(sealed: string): string {
    return this.box.open(sealed)
  }

  /** The auth settings with their credentials in the clear, as requests need them. */
  openAuth(auth: EndpointAuth): EndpointAuth<string> {
    switch (auth.type) {
      case 'none':
        return auth
      case 'bearer':
        return { type: 'bearer', token: this.box.open(auth.token.sealed) }
      case 'basic':
        return { type: 'basic', username: auth.username, password: this.box.open(auth.password.sealed) }
      case 'header':
        return { type: 'header', name: auth.name, value: this.box.open(auth.value.sealed) }
    }
  }

  /** Forget what is cached for a tenant (its fan-out) and, if given, one endpoint. */
  invalidate(tenantId: string, endpointId?: string): void {
    this.tenants.delete(tenantId)
    if (endpointId !== undefined) this.targets.delete(endpointId)
  }

  /** A tenant's name or metadata changed: every send target may render it, so all are reloaded. */
  forgetTenant(tenantId: string): void {
    this.tenants.delete(tenantId)
    this.targets.clear()
  }
}
