import type { Readable } from 'node:stream'
import { type BrokenBy, EVENT_BODY_BYTES, forwardableHeaders, lifecyclePayload, lifecycleTypes, outcomeName, requestView, type UpstreamOutcome } from '../core/gateway-events.js'
import { leavesRoute } from '../core/leaves-route.js'
import type { JsonObject, Route } from '../core/model.js'
import { AppError, notFound } from '../errors.js'
import { ExpiringCache } from '../services/expiring-cache.js'
import type { Publisher } from '../services/publisher.js'
import type { Store } from '../store/store.js'
import type { ClientBody } from './client-body.js'
import { bodyFailure, readHead, relay } from './relay.js'
import type { Upstream } from './upstream.js'

/**
 * How long a route lookup is trusted: another node's change to a route, or to its tenant's
 * allowedNetworks, shows within this.
 */
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
  /** Starts reading the client's body, keeping at least its first `keep` bytes (client-body.ts). */
  readBody: (keep: number) => Promise<ClientBody>
  clientIp: string
  protocol: string
}

export interface GatewayAnswer {
  status: number
  headers: Record<string, string | string[]>
  /** The whole answer, or a long one as it comes: to be piped to the client, which sets the pace. */
  body: Buffer | Readable
}

/** What an event keeps of a body: 64 KiB, and a byte to know it was cut. */
const KEEP = EVENT_BODY_BYTES + 1

/**
 * A gateway route at work (API.md, Gateway routes): publishes `request.received`, forwards the
 * request to the route's upstream, publishes what came of it, and passes the answer back. Events go
 * into the route's tenant on the channel named after the route, through the same publisher as any
 * event, so they are durable before the client has the whole answer. A publish that fails (the
 * tenant just deleted, a schema the payload breaks) does not fail the request: the proxy proxies.
 *
 * Nothing is held whole (issue 12, item 9: 400 answers of 100 MB held the server at 897 MB): the
 * client's body streams to the upstream and the answer back, each at the pace of whoever reads
 * it, and of each the proxy keeps the first 64 KiB and a byte, which is what an event shows. An
 * answer is read that far (or to its end) before the client gets anything, so a failure before
 * then is still a 502 or 504 problem; a longer one is then passed on as it comes, and its
 * completion events are published when it ends, before its last byte goes out.
 */
/** A route as the proxy uses it: with its tenant's allowedNetworks (null: the server-wide list). */
interface LiveRoute {
  route: Route
  allowedNetworks: string[] | null
}

export class Gateway {
  private readonly routes: ExpiringCache<LiveRoute | null>

  constructor(
    private readonly d: {
      store: Pick<Store, 'getRouteByName' | 'getTenant'>
      publisher: Pick<Publisher, 'publish'>
      upstream: Upstream
      onPublishError?: (error: unknown) => void
      /** Told how each forwarded request went (metrics). */
      onProxied?: (outcome: string, durationMs: number) => void
      now?: () => number
    },
  ) {
    this.routes = new ExpiringCache(
      async (key) => {
        const [tenantId, name] = key.split('\n') as [string, string]
        const [route, tenant] = await Promise.all([d.store.getRouteByName(tenantId, name), d.store.getTenant(tenantId)])
        return route && tenant ? { route, allowedNetworks: tenant.allowedNetworks } : null
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
    const live = await this.routes.get(routeKey(req.tenantId, req.routeName))
    if (!live) throw notFound(`Route ${req.routeName}`)
    const { route, allowedNetworks } = live
    // Checked before anything is read, published or sent: the upstream must not see the request at all.
    const url = leavesRoute(req.rest) ? null : upstreamUrl(route.upstreamUrl, req.rest, req.search)
    if (url === null) throw new AppError('path_outside_route', 'The path, decoded, climbs out of the route with `..` segments.')
    const body = await req.readBody(KEEP)
    const view = requestView({ method: req.method, path: req.rest === '' ? '/' : req.rest, search: req.search, headers: req.headers, body: body.head.subarray(0, KEEP) })
    await this.publish(route, ['request.received'], lifecyclePayload(route.name, view, null, 0))

    const started = performance.now()
    const finish = async (outcome: UpstreamOutcome): Promise<void> => {
      const durationMs = Math.round(performance.now() - started)
      this.d.onProxied?.(outcomeName(outcome), durationMs)
      await this.publish(route, lifecycleTypes(outcome), lifecyclePayload(route.name, view, outcome, durationMs))
    }
    /** A failure before the client got anything: the events, then the problem. */
    const refuse = async (failure: Failure): Promise<never> => {
      await finish(failure)
      throw problemFor(failure, route.timeoutSeconds)
    }
    const sent = body.rest ?? (body.head.length === 0 && (req.method === 'GET' || req.method === 'HEAD') ? null : body.head)
    const reply = await this.d.upstream.open({
      method: req.method,
      url,
      headers: forwardedHeaders(req, body),
      body: sent,
      timeoutMs: route.timeoutSeconds * 1000,
      ...(allowedNetworks === null ? {} : { allowedNetworks }),
    })
    if (reply.kind !== 'answer') return refuse(clientFailure(body) ?? reply)

    let first: { head: Buffer; ended: boolean }
    try {
      first = await readHead(reply.body, KEEP)
    } catch (err) {
      return refuse(clientFailure(body) ?? bodyFailure(err))
    }
    // The upstream's headers as they were, content-length included: for a body it counts the bytes
    // passed on (read as sent, not decoded), and for HEAD and 304, which have none, it is the
    // length a GET would get (RFC 9110 8.6), which only the upstream can say.
    const answer = { status: reply.status, headers: forwardableHeaders(reply.headers) }
    const outcome = (captured: Buffer, broken?: BrokenBy): UpstreamOutcome => ({ kind: 'response', status: reply.status, headers: reply.headers, body: captured, ...(broken ? { broken } : {}) })
    if (first.ended) {
      await finish(outcome(first.head))
      return { ...answer, body: first.head }
    }
    // Only what the event shows is kept past the first write (a copy, so the rest can go).
    const captured = Buffer.from(first.head.subarray(0, KEEP))
    return { ...answer, body: relay(reply.body, first.head, (broken) => finish(outcome(captured, broken))) }
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
function forwardedHeaders(req: GatewayRequest, body: ClientBody): Record<string, string | string[]> {
  // `expect: 100-continue` was the client's exchange with this server, already answered.
  const headers = forwardableHeaders(req.headers, ['host', 'content-length', 'expect'])
  // A body read whole gets its length from undici; a streamed one keeps the client's, if any
  // (undici checks the bytes sent against it), or goes chunked as the client's came.
  if (body.rest !== null && body.declared !== null) headers['content-length'] = String(body.declared)
  const prior = req.headers['x-forwarded-for']
  const chain = Array.isArray(prior) ? prior.join(', ') : prior
  headers['x-forwarded-for'] = chain ? `${chain}, ${req.clientIp}` : req.clientIp
  const host = req.headers.host
  if (host !== undefined) headers['x-forwarded-host'] = Array.isArray(host) ? host[0]! : host
  headers['x-forwarded-proto'] = req.protocol
  return headers
}

/** The client's body failed while it was being forwarded: that, rather than what undici made of it. */
function clientFailure(body: ClientBody): Failure | null {
  const why = body.failure()
  return why === null ? null : { kind: 'client_failed', reason: why }
}

/** An outcome without an answer to pass on. */
type Failure = Exclude<UpstreamOutcome, { kind: 'response' }>

/** The problem a client gets for an outcome without an answer. */
function problemFor(outcome: Failure, timeoutSeconds: number): AppError {
  switch (outcome.kind) {
    case 'timeout':
      return new AppError('upstream_timeout', `The upstream did not answer within ${timeoutSeconds} s.`)
    case 'client_failed':
      return outcome.reason === 'too_large' ? new AppError('payload_too_large') : new AppError('bad_request', 'The body could not be read: the client went away.')
    case 'unreachable':
      return new AppError('upstream_unreachable', `The upstream could not be reached: ${outcome.message}.`)
  }
}
