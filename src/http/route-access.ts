import type { Capability } from '../core/capabilities.js'
import type { ErrorCode } from '../errors.js'
import type { Principal } from '../services/access.js'

/**
 * Who besides the admin token may call a route, declared on the route as `config: { access }`
 * (API.md, "Auth" and "Dashboard and portal"); `config.adminOnly` (app.ts) marks the routes only
 * the admin token may call, and wins:
 * - absent: a route under `/v1/tenants/{tenantId}/`: that tenant's API keys; its portal tokens only
 *   to read (GET). Elsewhere: nobody but the admin.
 * - `'anyone'`: any valid token (whoami, reading the event-type catalog).
 * - `'read'`: a tenant route that only reads, whatever its method (a POST that previews an
 *   endpoint's request): that tenant's API keys and every portal token of it.
 * - `{ capability }`: a tenant route that portal tokens may call only when their session holds
 *   that capability (tenant keys hold them all), whatever the method: revealing a secret is a GET.
 */
export type RouteAccess = 'anyone' | 'read' | { capability: Capability }

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess
  }
}

export interface AccessQuestion {
  method: string
  /** The matched route's pattern; undefined when no route matches (the 404 handler answers). */
  route: string | undefined
  access: RouteAccess | undefined
  /** The route's `config.adminOnly`: what it does, for the refusal's detail. */
  adminOnly: string | undefined
  /** The tenant the path names, if any. */
  tenantId: string | undefined
}

export type AccessAnswer = { ok: true } | { ok: false; code: ErrorCode; detail: string }

const allow: AccessAnswer = { ok: true }
const isRead = (method: string): boolean => method === 'GET' || method === 'HEAD'

/** Whether this principal may make this request. Pure: the onRequest hook asks, then answers 403 or lets it through. */
export function decideAccess(p: Principal, q: AccessQuestion): AccessAnswer {
  if (p.kind === 'admin') return allow
  const { access } = q
  if (q.adminOnly !== undefined) return { ok: false, code: 'forbidden', detail: `Only the admin token may ${q.adminOnly}.` }
  if (access === 'anyone') return allow
  // A tenant's token reaches only /v1/tenants/{itsTenantId}/...; a path under its own tenant that
  // no route matches is the not-found handler's (404), as for the admin.
  if (q.tenantId !== p.tenantId) return { ok: false, code: 'forbidden', detail: 'This token may act only on its own tenant.' }
  if (p.kind === 'tenant' || q.route === undefined || access === 'read') return allow
  if (access !== undefined) {
    if (p.session.capabilities.includes(access.capability)) return allow
    return { ok: false, code: 'capability_missing', detail: `This portal session lacks the ${access.capability} capability.` }
  }
  if (isRead(q.method)) return allow
  return { ok: false, code: 'forbidden', detail: 'A portal token may only read here.' }
}
