import http from 'node:http'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../app.js'
import { readClientBody } from '../../gateway/client-body.js'

/**
 * `/gw/{tenantId}/{routeName}/...` (API.md, Gateway routes): any method, no bearer token (the
 * upstream authenticates its clients). The body is left unread here whatever its content type and
 * method (a GET or HEAD may carry one too): the gateway streams it to the upstream as raw bytes,
 * within the server's body limit (client-body.ts). gateway/gateway.ts does the rest.
 */
export const gatewayRoutes: FastifyPluginAsync<AppDeps> = async (app, { gateway }) => {
  addProxiedMethods(app)
  app.removeAllContentTypeParsers()
  // Any body, left unread: Fastify applies no limit to a body it does not read; readClientBody does.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined))

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const params = req.params as { tenantId: string; routeName: string }
    // The rest of the path as received (still percent-encoded): segments after /gw/{t}/{r}.
    const [path = '', search = ''] = splitOnce(req.raw.url ?? req.url, '?')
    const segments = path.split('/')
    const answer = await gateway.handle({
      tenantId: params.tenantId,
      routeName: params.routeName,
      method: req.method,
      rest: segments.length > 4 ? `/${segments.slice(4).join('/')}` : '',
      search,
      headers: req.headers,
      readBody: (keep) => readClientBody(req.raw, req.headers, req.routeOptions.bodyLimit, keep),
      clientIp: req.ip,
      protocol: req.protocol,
    })
    reply.code(answer.status).headers(answer.headers)
    // A long answer, as it comes: Fastify pipes it with backpressure and leaves it unlabelled, and
    // the upstream's content-length (or none, then chunked) frames it.
    if (!Buffer.isBuffer(answer.body)) return reply.send(answer.body)
    // The answer as the upstream gave it. No body (HEAD, 204, 304, or empty): sent as none, so
    // Fastify adds no type and, for HEAD, 204 and 304, keeps the upstream's content-length (or
    // leaves it out) rather than setting 0.
    if (answer.body.length === 0) return reply.send()
    // Fastify labels a Buffer without a content type application/octet-stream; the client should
    // not be told a type the upstream did not send (RFC 9110 8.3), and a stream is left unlabelled.
    if (answer.headers['content-type'] === undefined) return reply.header('content-length', answer.body.length).send(Readable.from([answer.body]))
    return reply.send(answer.body)
  }
  const schema = { hide: true }
  app.all('/gw/:tenantId/:routeName', { schema }, handler)
  app.all('/gw/:tenantId/:routeName/*', { schema }, handler)
}

/**
 * Any method reaches the gateway: Fastify knows GET, HEAD, TRACE, DELETE, OPTIONS, PATCH, PUT,
 * POST and QUERY, and a route of `all` takes only those, so the others Node's parser accepts
 * (WebDAV's PROPFIND, MKCOL, LOCK..., PURGE, REPORT, SEARCH, LINK...) are added, read with a body as
 * a POST is. The list is the server's, not this plugin's: any route may now name them, and a
 * request with one elsewhere is a 404 as for any unknown method. Not CONNECT: Node hands it to the
 * server's 'connect' event, never to a request handler (and with no listener closes the
 * connection), and its target is a host:port, not a path under /gw/.
 */
function addProxiedMethods(app: FastifyInstance): void {
  for (const method of http.METHODS) {
    if (method !== 'CONNECT' && !app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true })
  }
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]
}
