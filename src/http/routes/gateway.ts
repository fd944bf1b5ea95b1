import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../app.js'
import { readBody } from '../read-body.js'

/**
 * `/gw/{tenantId}/{routeName}/...` (API.md, Gateway routes): any method, no bearer token (the
 * upstream authenticates its clients). The body is taken as raw bytes whatever its content type,
 * as the upstream should receive it, whatever the method: a GET or HEAD may carry one too, which
 * Fastify does not read, so it is read here within the same limit. gateway/gateway.ts does the rest.
 */
export const gatewayRoutes: FastifyPluginAsync<AppDeps> = async (app, { gateway }) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))

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
      body: Buffer.isBuffer(req.body) ? req.body : await readBody(req.raw, req.headers, req.routeOptions.bodyLimit),
      clientIp: req.ip,
      protocol: req.protocol,
    })
    return reply.code(answer.status).headers(answer.headers).send(answer.body)
  }
  const schema = { hide: true }
  app.all('/gw/:tenantId/:routeName', { schema }, handler)
  app.all('/gw/:tenantId/:routeName/*', { schema }, handler)
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep)
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)]
}
