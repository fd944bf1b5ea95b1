import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Role } from '../config.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../core/json-depth.js'
import { AppError, errorCatalog, invalid, type ErrorCode } from '../errors.js'
import type { Access, Principal, Refusal } from '../services/access.js'
import type { AttemptFeed } from '../services/attempt-feed.js'
import type { Gateway } from '../gateway/gateway.js'
import type { Ingest } from '../inbound/ingest.js'
import type { EndpointService } from '../services/endpoints.js'
import type { PayloadSchemas } from '../services/payload-schemas.js'
import type { Publisher } from '../services/publisher.js'
import type { RouteService } from '../services/routes.js'
import type { SourceService } from '../services/sources.js'
import type { Store } from '../store/store.js'
import { coerceQuery } from './coerce-query.js'
import { errorHandler, problem, sendProblem } from './error-handler.js'
import { lazyCompilers } from './lazy-compilers.js'
import { completeDocument, markAccess } from './openapi.js'
import type { Metrics } from './metrics.js'
import { endpointRoutes } from './routes/endpoints.js'
import { AttemptNoticeOut, deliveryStreamRoutes } from './routes/delivery-stream.js'
import { eventRoutes } from './routes/events.js'
import { eventTypeRoutes } from './routes/event-types.js'
import { gatewayRoutes } from './routes/gateway.js'
import { gatewayRouteRoutes } from './routes/gateway-routes.js'
import { inboundRoutes } from './routes/inbound.js'
import { opsRoutes } from './routes/ops.js'
import { portalSessionRoutes } from './routes/portal-sessions.js'
import { rootRoutes } from './routes/root.js'
import { decideAccess } from './route-access.js'
import { sourceRoutes } from './routes/sources.js'
import { statsSeriesRoutes } from './routes/stats-series.js'
import { tenantRoutes } from './routes/tenants.js'
import { webRoutes } from './routes/web.js'

/** Strict: throws on bytes that are not UTF-8; a byte order mark stays in the text (JSON.parse refuses it, as before). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

const AJV_OPTIONS = { allErrors: true, removeAdditional: false, coerceTypes: false, useDefaults: false }

export interface AppDeps {
  store: Store
  access: Access
  publisher: Publisher
  endpoints: EndpointService
  sources: SourceService
  ingest: Ingest
  routes: RouteService
  gateway: Gateway
  /** HOOKRELAY_PUBLIC_URL: the base of URLs shown (ingestUrl); null = the request's own host. */
  publicUrl: string | null
  /** Attempts as they are recorded, for `GET .../deliveries/stream`. */
  feed: AttemptFeed
  schemas: PayloadSchemas
  metrics: Metrics
  role: Role
  maxPayloadBytes: number
  httpLogLevel: string
  /** Wakes the local dispatcher (no-op on an api-only node). */
  wake: () => void
  /** Why this node cannot deliver right now (its sender thread is being replaced), or null: `/healthz` answers 503 meanwhile. */
  deliveryProblem: () => string | null
  version: string
  /** HOOKRELAY_PORTAL_ORIGINS: the origins that may frame /portal (see config.ts). */
  portalOrigins: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /**
     * Set on a route only the admin token may call, as what it does ("manage API keys"): every
     * other token (a tenant API key, a portal token) gets 403, even under its
     * own tenant. The one place that rule is applied is the onRequest hook in buildApp. Default unset.
     */
    adminOnly?: string
  }
}

/** Builds the HTTP app without listening: main.ts listens, tests use port 0. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Logs go to stderr: stdout carries only what the CLI prints (the listening line, a generated token).
    logger: deps.httpLogLevel === 'silent' ? false : { level: deps.httpLogLevel, stream: process.stderr },
    bodyLimit: deps.maxPayloadBytes,
    // Path parameters longer than this are not matched at all (a 400). An id that long is simply
    // unknown, so its 404 should come from the route, as for any other id.
    routerOptions: { maxParamLength: 2048 },
    // No coercion and no defaults: bodies are validated as sent (see coerce-query.ts), and a PATCH
    // body gains no field its sender left out.
    return503OnClosing: true,
    // On close, idle keep-alive sockets are closed at once; requests in progress (a publish
    // waiting for its commit) are answered first.
    forceCloseConnections: 'idle',
    // A path Fastify cannot decode (`%ZZ`) is answered before any route: as a problem document too.
    frameworkErrors: (error, _req, reply) => void sendProblem(reply, 'bad_request', `${error.message}.`),
    // A request Node's parser cannot read at all (a body longer than its content-length, a control
    // character in a header, headers past the limit) never reaches a route: answered here, as a
    // problem document too, then the connection closes.
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // An empty body on a JSON route means "no options" (POST .../retry with a content type but no body).
  // JSON only: any other content type is 415 rather than a confusing schema error.
  app.removeContentTypeParser('text/plain')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    const bytes = body as Buffer
    if (bytes.length === 0) return done(null, undefined)
    // JSON is UTF-8 (RFC 8259 section 8.1): bytes that are not are refused, where decoding them
    // leniently would put U+FFFD in their place and store something the sender never sent.
    let text: string
    try {
      text = UTF8.decode(bytes)
    } catch {
      return done(new AppError('malformed_json', 'The request body is not valid UTF-8.'), undefined)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      const e = err as Error & { statusCode?: number }
      e.statusCode = 400
      return done(e, undefined)
    }
    if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) return done(new AppError('too_deeply_nested'), undefined)
    done(null, parsed)
  })

  // Not async (see the onRequest hook): a throw here is Fastify's to pass to the error handler.
  app.addHook('preValidation', (req, _reply, done) => {
    // U+0000, which PostgreSQL text cannot hold (a 500 there), is refused on every store before
    // it reaches one: a path parameter holding it names nothing (404, as an unknown id), a query
    // value holding it is a 422. Every route, /in and /gw included, passes here; the scan is of a
    // few short strings, so the publish and ingest paths do not feel it.
    const params = req.params as Record<string, string> | undefined
    for (const name in params) {
      // The gateway forwards the rest of its path (`*`) as received, still percent-encoded: not a name.
      if (name !== '*' && params[name]!.includes('\u0000')) throw new AppError('not_found', `No ${name} holds U+0000.`)
    }
    const schema = req.routeOptions.schema?.querystring as Parameters<typeof coerceQuery>[0]
    if (schema === undefined) return done()
    const query = req.query as Record<string, string | string[] | undefined>
    for (const name in query) {
      const value = query[name]
      if (typeof value === 'string' ? value.includes('\u0000') : value?.some((v) => v.includes('\u0000'))) throw invalid(`/query/${name}`, 'must not contain U+0000')
    }
    req.query = coerceQuery(schema, req.query)
    done()
  })

  const compilers = lazyCompilers(AJV_OPTIONS)
  app.setValidatorCompiler(compilers.validatorCompiler)
  app.setSerializerCompiler(compilers.serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0]!
    // A path that exists with other methods: 405 naming them (RFC 9110 15.5.6), from the route table itself.
    const allowed = app.supportedMethods.filter((method) => app.findRoute({ method, url: path }) !== null)
    if (allowed.length > 0) {
      return sendProblem(reply.header('allow', allowed.join(', ')), 'method_not_allowed', `${path} does not take ${req.method}; it takes ${allowed.join(', ')}.`)
    }
    return sendProblem(reply, 'route_not_found', `No route for ${req.method} ${path}.`)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Hookrelay API', version: deps.version, description: 'Signed, durable webhooks: see API.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { AttemptNotice: AttemptNoticeOut } },
      security: [{ bearer: [] }],
    },
    transform: markAccess,
    // Error responses, the Problem schema and success names: added to the finished document.
    transformObject: (d) => ('openapiObject' in d ? completeDocument(d.openapiObject as Parameters<typeof completeDocument>[0]) : d.swaggerObject),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.decorateRequest('principal', null)
  // A worker serves only /healthz and /metrics (API.md, Running), whatever the query string.
  if (deps.role === 'worker') {
    app.addHook('onRequest', (req, reply, done) => {
      const path = req.url.split('?', 1)[0]
      if (path === '/healthz' || path === '/metrics') return done()
      void sendProblem(reply, 'service_unavailable', 'This node runs with --role worker: it serves only /healthz and /metrics.')
    })
  }
  // Callback style rather than async, here and in preValidation: a token seen lately is known
  // without a store read (Access.known), and then the request goes on in the same turn instead
  // of after a promise per hook. A hook that answers does not call done (Fastify's hooks docs).
  app.addHook('onRequest', (req, reply, done) => {
    if (!req.url.startsWith('/v1/')) return done()
    const authorization = req.headers.authorization
    const known = deps.access.known(authorization)
    if (known !== undefined) return admit(req, reply, known, done)
    deps.access.identify(authorization).then((who) => admit(req, reply, who, done)).catch(done)
  })

  await app.register(rootRoutes, deps)
  await app.register(opsRoutes, deps)
  await app.register(tenantRoutes, deps)
  await app.register(portalSessionRoutes, deps)
  await app.register(eventTypeRoutes, deps)
  await app.register(endpointRoutes, deps)
  await app.register(statsSeriesRoutes, deps)
  await app.register(eventRoutes, deps)
  await app.register(deliveryStreamRoutes, deps)
  await app.register(sourceRoutes, deps)
  await app.register(inboundRoutes, deps)
  await app.register(gatewayRouteRoutes, deps)
  await app.register(gatewayRoutes, deps)
  await app.register(webRoutes, deps)
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  return app
}

/** Lets a request with this principal on, or answers 401/403 (the route table's access rules, route-access.ts). */
function admit(req: FastifyRequest, reply: FastifyReply, who: Principal | Refusal | null, done: (err?: Error) => void): void {
  // RFC 9110: a 401 names the scheme it wants.
  if (who === null || who.kind === 'refused') {
    void sendProblem(reply.header('www-authenticate', 'Bearer'), 'unauthorized', who?.detail)
    return
  }
  req.principal = who
  // routeOptions is a getter that builds an object: read it once.
  const { url: route, config } = req.routeOptions
  const answer = decideAccess(who, {
    method: req.method,
    route,
    access: config.access,
    adminOnly: config.adminOnly,
    tenantId: route === undefined ? tenantInPath(req.url) : (req.params as { tenantId?: string }).tenantId,
  })
  if (!answer.ok) {
    void sendProblem(reply, answer.code, answer.detail)
    return
  }
  done()
}

/** The tenant id of a `/v1/tenants/{id}/...` path, as a route would have decoded it. */
function tenantInPath(url: string): string | undefined {
  const m = /^\/v1\/tenants\/([^/?#]+)\//.exec(url)
  if (!m) return undefined
  try {
    return decodeURIComponent(m[1]!)
  } catch {
    return undefined
  }
}

/** Fastify's clientErrorHandler: the problem document for an unreadable request, written on the raw socket. */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const code: ErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'request_headers_too_large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'bad_request'
  const body = JSON.stringify(problem(code, code === 'bad_request' ? 'The request could not be read as HTTP.' : undefined))
  const { status } = errorCatalog[code]
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
