import type { Endpoint, EndpointAuth, Tenant } from '../core/model.js'
import { retryPolicyFor, type RetryPolicy } from '../core/retry-policy.js'
import { compileShape, hasTemplates, type RequestShape } from '../core/shaping/request-shape.js'
import type { ShapeInput } from '../rendering/render-job.js'
import type { Store } from '../store/store.js'
import { openHeaders } from './endpoint-headers.js'
import { ExpiringCache } from './expiring-cache.js'
import { activeSecrets, type SecretBox } from './secret-keys.js'

/** An endpoint as the dispatcher sends to it: the record plus the secrets that sign right now. */
export interface SendTarget {
  endpoint: Endpoint
  /** The current secret first, then each rotated-out one while its 24 hours last (services/secret-keys.ts). */
  secrets: string[]
  /** When the first of the rotated-out secrets stops signing, so the cache entry expires with it. */
  validUntil: number
  /** The endpoint's retry settings as the dispatcher applies them, worked out once per load. */
  retryPolicy: RetryPolicy
  /**
   * The request settings compiled, when none of them is Liquid: such requests are built on this
   * thread. Null when the endpoint has a template: its requests are built on a render thread
   * from `shapeInput` (rendering/render-bounded.ts), since a template may run long.
   */
  shape: RequestShape | null
  /** The endpoint's request settings with the tenant's and endpoint's values for templates and its auth in the clear. */
  shapeInput: ShapeInput
  /** The tenant's own allowed networks, sent with each request; null = the server-wide list. */
  allowedNetworks: string[] | null
}

/**
 * Cached reads on the hot path: which endpoints a tenant's publish fans out to, and what the
 * dispatcher needs to send. Changes made in this process invalidate at once; entries also expire
 * after `ttlMs` (default 5 s) so changes made by another node show up without a restart (a
 * tenant's allowedNetworks included: docs/operations.md promises at most 10 s).
 */
export class EndpointDirectory {
  private readonly tenants: ExpiringCache<Endpoint[] | null>
  private readonly targets: ExpiringCache<SendTarget | null>

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
    ttlMs = 5000,
    /** HOOKRELAY_MAX_PAYLOAD_BYTES: what a template may render at most. Default 1 MiB. */
    readonly maxOutputBytes = 1024 * 1024,
  ) {
    this.tenants = new ExpiringCache((tenantId) => this.loadCandidates(tenantId), { now, ttlMs })
    this.targets = new ExpiringCache((endpointId) => this.loadTarget(endpointId), {
      now,
      ttlMs,
      expiresAt: (t) => t?.validUntil ?? Number.POSITIVE_INFINITY,
    })
  }

  /** The tenant's enabled endpoints, or null when the tenant does not exist. */
  fanOutCandidates(tenantId: string): Promise<Endpoint[] | null> {
    return this.tenants.get(tenantId)
  }

  /** fanOutCandidates' answer when it is cached and fresh, without a promise; undefined otherwise. */
  knownCandidates(tenantId: string): { v: Endpoint[] | null } | undefined {
    return this.tenants.peek(tenantId)
  }

  sendTarget(endpointId: string): Promise<SendTarget | null> {
    return this.targets.get(endpointId)
  }

  private async loadCandidates(tenantId: string): Promise<Endpoint[] | null> {
    if (!(await this.store.getTenant(tenantId))) return null
    return this.store.listEnabledEndpoints(tenantId)
  }

  private async loadTarget(endpointId: string): Promise<SendTarget | null> {
    const [endpoint, sealed] = await Promise.all([this.store.getEndpoint(null, endpointId), this.store.getSecrets(endpointId)])
    if (!endpoint || !sealed) return null
    const tenant = await this.store.getTenant(endpoint.tenantId)
    if (!tenant) return null
    const { secrets, validUntil } = activeSecrets(sealed, this.box, this.now())
    const open = { headers: openHeaders(endpoint.headers, this.box), auth: this.openAuth(endpoint.auth) }
    return { ...this.compileTarget(endpoint, open, tenant, secrets), validUntil }
  }

  /**
   * What sending to `endpoint` needs, from its record and its credentials in the clear: the
   * directory's own targets and the preview of an endpoint not saved (services/endpoint-preview.ts)
   * compile alike, with the same output limit.
   */
  compileTarget(
    endpoint: Endpoint,
    open: { headers: Record<string, string>; auth: EndpointAuth<string> },
    /** allowedNetworks left out: the server-wide list (a preview sends nothing). */
    tenant: Pick<Tenant, 'id' | 'name' | 'metadata'> & { allowedNetworks?: string[] | null },
    secrets: string[],
  ): Omit<SendTarget, 'validUntil'> {
    const shapeInput: ShapeInput = {
      endpoint: { ...endpoint, headers: open.headers },
      tenant: { id: tenant.id, name: tenant.name, metadata: tenant.metadata },
      auth: open.auth,
      maxOutputBytes: this.maxOutputBytes,
    }
    // Without a template there is nothing to compile, and nothing that can fail to.
    const shape = hasTemplates(shapeInput.endpoint) ? null : compileShape(shapeInput.endpoint, shapeInput.tenant, open.auth, this.maxOutputBytes).shape
    return { endpoint, secrets, retryPolicy: retryPolicyFor(endpoint.retry), shape, shapeInput, allowedNetworks: tenant.allowedNetworks ?? null }
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
