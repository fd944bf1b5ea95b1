import { newId } from '../core/ids.js'
import type { NetworkPolicies } from '../core/network-policies.js'
import type { Route } from '../core/model.js'
import { AppError, invalid, notFound } from '../errors.js'
import type { Page, RoutePatch, Store } from '../store/store.js'
import { requireAllowedTarget } from './allowed-target.js'

/** What a request may set: the store's patch, field for field. */
export type RouteInput = RoutePatch

const DEFAULT_TIMEOUT_SECONDS = 30

/** Told when a route changes or goes, so the proxy's cache forgets it. */
export interface RouteChanges {
  forget(tenantId: string, name: string): void
  forgetTenant(tenantId: string): void
}

/**
 * Gateway routes: their configuration. What a route does with a request is gateway/gateway.ts.
 * The upstream URL passes the same address check as an endpoint's URL, under the tenant's
 * allowedNetworks, at creation and again at connect time.
 */
export class RouteService {
  constructor(
    private readonly d: { store: Store; policies: NetworkPolicies; changes: RouteChanges; now?: () => number },
  ) {}

  private now(): number {
    return (this.d.now ?? Date.now)()
  }

  async create(tenantId: string, input: Required<Pick<RouteInput, 'name' | 'upstreamUrl'>> & RouteInput): Promise<Route> {
    const tenant = await this.d.store.getTenant(tenantId)
    if (!tenant) throw notFound(`Tenant ${tenantId}`)
    await this.checkUpstream(input.upstreamUrl, tenant.allowedNetworks)
    const now = this.now()
    const route: Route = {
      id: newId('rte', now),
      tenantId,
      name: input.name,
      upstreamUrl: input.upstreamUrl,
      timeoutSeconds: input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      createdAt: now,
      updatedAt: now,
    }
    if (!(await this.d.store.createRoute(route))) throw taken(input.name)
    // A request may have found no route of this name a moment ago.
    this.d.changes.forget(tenantId, route.name)
    return route
  }

  async get(tenantId: string, id: string): Promise<Route> {
    const route = await this.d.store.getRoute(tenantId, id)
    if (!route) throw notFound(`Route ${id}`)
    return route
  }

  async list(tenantId: string, page: Page): Promise<Route[]> {
    if (!(await this.d.store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
    return this.d.store.listRoutes(tenantId, page)
  }

  async update(tenantId: string, id: string, input: RouteInput): Promise<Route> {
    const current = await this.get(tenantId, id)
    if (input.upstreamUrl !== undefined) await this.checkUpstream(input.upstreamUrl, (await this.d.store.getTenant(tenantId))?.allowedNetworks ?? null)
    const updated = await this.d.store.updateRoute(tenantId, id, input, this.now())
    if (updated === null) throw notFound(`Route ${id}`)
    if ('nameTaken' in updated) throw taken(input.name ?? current.name)
    this.d.changes.forget(tenantId, current.name)
    this.d.changes.forget(tenantId, updated.name)
    return updated
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const current = await this.get(tenantId, id)
    if (!(await this.d.store.deleteRoute(tenantId, id))) throw notFound(`Route ${id}`)
    this.d.changes.forget(tenantId, current.name)
  }

  /**
   * A tenant was deleted, and its routes with it: this node's proxy stops taking their requests at
   * once, not when its cache of them expires (other nodes' within 5 s, as for any route change).
   */
  tenantDeleted(tenantId: string): void {
    this.d.changes.forgetTenant(tenantId)
  }

  /** A tenant's allowedNetworks may have changed: this node's proxy reads its routes again at once. */
  tenantChanged(tenantId: string): void {
    this.d.changes.forgetTenant(tenantId)
  }

  private async checkUpstream(raw: string, allowedNetworks: string[] | null): Promise<void> {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw invalid('/upstreamUrl', 'must be an absolute http:// or https:// URL')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('/upstreamUrl', 'must be an absolute http:// or https:// URL')
    if (url.username || url.password) throw invalid('/upstreamUrl', 'must not carry credentials; the client sends its own headers')
    if (url.hash) throw invalid('/upstreamUrl', 'must not have a #fragment')
    await requireAllowedTarget(url.href, this.d.policies.for(allowedNetworks), '/upstreamUrl')
  }
}

const taken = (name: string) => new AppError('route_exists', `The tenant already has a route named ${name}.`, [{ path: '/name', message: 'is taken' }])
