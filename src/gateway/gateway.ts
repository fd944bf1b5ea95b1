import { forwardableHeaders, lifecyclePayload, lifecycleTypes, outcomeName, requestView } from '../core/gateway-events.js'
import { leavesRoute } from '../core/leaves-route.js'
import type { JsonObject, Route } from '../core/model.js'
import { AppError, notFound } from '../errors.js'
import { ExpiringCache } from '../services/expiring-cache.js'
import type { Publisher } from '../services/publisher.js'
import type { Store } from '../store/store.js'
import type { Upstream } from './upstream.js'

/** How long a route lookup is trusted: another node's change to a route shows within this. */
const ROUTE_TTL_MS = 5000

export interface GatewayRequest {
  tenantId: string
  routeName: string
  method: string
  /** The path after `/gw/{tenantId}/{routeName}`, as received (still percent-encoded); '' for none. */
  rest: string
  /** The query string without `?`, as received. */
  search: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  clientIp: string
  protocol: string
}

export interface GatewayAnswer {
  status: number
  headers: Record<string, string | string[]>
  body: Buffer
}

/**
 * A gateway route at work (API.md, Gateway routes): publishes `request.received`, forwards the
 * request to the route's upstream, publishes what came of it, and passes the answer back. Events go
 * into the route's tenant on the channel named after the route, through the same publisher as any
 * event, so they are durable before the client gets its answer. A publish that fails (the tenant
 * just deleted, a schema the payload breaks) does not fail the request: the proxy still proxies.
 */
export class Gateway {
  private readonly routes: ExpiringCache<Route | null>

  constructor(
    private readonly d: {
      store: Pick<Store, 'getRouteByName'>
      publisher: Pick<Publisher, 'publish'>
      upstream: Upstream
      onPublishError?: (error: unknown) => void
      /** Told how each forwarded request went (metrics). */
      onProxied?: (outcome: string, durationMs: number) => void
      now?: () => number
    },
  ) {
    this.routes = new ExpiringCache(
      (key) => {
        const [tenantId, name] = key.split('\n') as [string, string]
        return d.store.getRouteByName(tenantId, name)
      },
      { now: d.now ?? Date.now, ttlMs: ROUTE_TTL_MS, limit: 10_000 },
    )
  }

  /** A route changed or went: the next request reads it again. */
  forget(tenantId: string, name: string): void {
    this.routes.delete(routeKey(tenantId, name))
  }

  /** A tenant went, and its routes with it: the next request to any of them reads it again. */
  forgetTenant(tenantId: string): void {
    this.routes.deleteWhere((key) => key.startsWith(routeKey(tenantId, '')))
  }

  async handle(req: GatewayRequest): Promise<GatewayAnswer> {
    const route = await this.routes.get(routeKey(req.tenantId, req.routeName))
    if (!route) throw notFound(`Route ${req.routeName}`)
    // Checked before anything is published or sent: the upstream must not see the request at all.
    const url = leavesRoute(req.rest) ? null : upstreamUrl(route.upstreamUrl, req.rest, req.search)
    if (url === null) throw new AppError('path_outside_route', 'The path, decoded, climbs out of the route with `..` segments.')
    const view = requestView({ method: req.method, path: req.rest === '' ? '/' : req.rest, search: req.search, headers: req.headers, body: req.body })
    await this.publish(route, ['request.received'], lifecyclePayload(route.name, view, null, 0))

    const started = performance.now()
    const outcome = await this.d.upstream.send({
      method: req.method,
      url,
      headers: forwardedHeaders(req),
      body: req.body.length === 0 && (req.method === 'GET' || req.method === 'HEAD') ? null : req.body,
      timeoutMs: route.timeoutSeconds * 1000,
    })
    const durationMs = Math.round(performance.now() - started)
    this.d.onProxied?.(outcomeName(outcome), durationMs)
    await this.publish(route, lifecycleTypes(outcome), lifecyclePayload(route.name, view, outcome, durationMs))

    if (outcome.kind === 'timeout') throw new AppError('upstream_timeout', `The upstream did not answer within ${route.timeoutSeconds} s.`)
    if (outcome.kind === 'unreachable') throw new AppError('upstream_unreachable', `The upstream could not be reached: ${outcome.message}.`)
    // The upstream's headers as they were, content-length included: for a body it counts the bytes
    // passed on (read as sent, not decoded), and for HEAD and 304, which have none, it is the
    // length a GET would get (RFC 9110 8.6), which only the upstream can say.
    return { status: outcome.status, headers: forwardableHeaders(outcome.headers), body: outcome.body }
  }

  /** One publish per type, together: they share a group commit. */
  private async publish(route: Route, types: string[], payload: JsonObject): Promise<void> {
    await Promise.all(
      types.map((type) =>
        this.d.publisher.publish(route.tenantId, { type, payload, channels: [route.name] }).catch((e: unknown) => this.d.onPublishError?.(e)),
      ),
    )
  }
}

/** The route cache's key: a newline cannot occur in a tenant id or a route name. */
const routeKey = (tenantId: string, name: string): string => `${tenantId}\n${name}`

/**
 * The upstream URL for a request: `upstreamUrl/{rest}` (API.md), so `/gw/t/r` and `/gw/t/r/` both
 * go to the route's URL with a slash after it; queries joined. Null when the path would leave the
 * route's own path: `..` segments (in any spelling: `%2e%2e`, backslashes) are resolved by the URL
 * parser, and a route to `https://api/public` must not reach `https://api/admin`.
 */
export function upstreamUrl(base: string, rest: string, search: string): string | null {
  const url = new URL(base)
  const prefix = url.pathname.replace(/\/$/, '')
  url.pathname = prefix + (rest === '' ? '/' : rest)
  if (!url.pathname.startsWith(`${prefix}/`)) return null
  const query = [url.search.replace(/^\?/, ''), search].filter((q) => q !== '').join('&')
  url.search = query === '' ? '' : `?${query}`
  return url.href
}

/** What goes upstream: the client's headers less hop-by-hop ones, plus the usual X-Forwarded-*. */
function forwardedHeaders(req: GatewayRequest): Record<string, string | string[]> {
  // `expect: 100-continue` was the client's exchange with this server, already answered.
  const headers = forwardableHeaders(req.headers, ['host', 'content-length', 'expect'])
  const prior = req.headers['x-forwarded-for']
  const chain = Array.isArray(prior) ? prior.join(', ') : prior
  headers['x-forwarded-for'] = chain ? `${chain}, ${req.clientIp}` : req.clientIp
  const host = req.headers.host
  if (host !== undefined) headers['x-forwarded-host'] = Array.isArray(host) ? host[0]! : host
  headers['x-forwarded-proto'] = req.protocol
  return headers
}
