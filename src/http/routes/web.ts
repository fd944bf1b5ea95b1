import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AppDeps } from '../app.js'
import { sendProblem } from '../error-handler.js'
import { documentHeaders, type WebFace } from '../web/security-headers.js'
import { findWebRoot, WebFiles, type WebFile } from '../web/web-files.js'

/**
 * The web console (API.md, Dashboard and portal): one single-page app, built into dist/web, served
 * as the dashboard under /ui/ and as the tenant portal under /portal. Its hashed assets live under
 * /ui/assets/ for both faces. Any other path under either face answers the app's index.html, whose
 * router shows the screen (or its own not-found page).
 */
export const webRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { portalOrigins }) => {
  const root = findWebRoot()
  const files = root === null ? null : new WebFiles(root)
  const hidden = { schema: { hide: true } }

  const send = (req: FastifyRequest, reply: FastifyReply, file: WebFile, headers: Record<string, string>) => {
    reply.headers(headers).header('content-type', file.type).header('etag', file.etag)
    if (req.headers['if-none-match'] === file.etag) return reply.code(304).send()
    if (file.gzip !== null) {
      reply.header('vary', 'accept-encoding')
      if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(file.gzip)
    }
    return reply.send(file.body)
  }

  const index = (face: WebFace) => (req: FastifyRequest, reply: FastifyReply) => {
    const file = files?.get('index.html')
    if (!file) return sendProblem(reply, 'service_unavailable', 'The web console is not built: run `npm run build` (it needs the devDependencies).')
    return send(req, reply, file, documentHeaders(face, portalOrigins))
  }

  app.get('/ui', hidden, (req, reply) => reply.redirect(`/ui/${req.url.slice('/ui'.length)}`, 308))
  app.get('/ui/*', hidden, (req, reply) => {
    const name = (req.params as { '*': string })['*']
    const file = name === 'index.html' ? null : files?.get(name)
    if (file) {
      return send(req, reply, file, {
        'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
        'cross-origin-resource-policy': 'same-origin',
      })
    }
    // A missing file (an old build's asset, a typo) is a 404, not the app: a script tag given HTML
    // would fail with a confusing MIME error instead.
    if (name.startsWith('assets/') || /\.[a-z0-9]+$/i.test(name)) return sendProblem(reply, 'route_not_found', `No file ${req.url.split('?')[0]}.`)
    return index('dashboard')(req, reply)
  })
  app.get('/portal', hidden, index('portal'))
  app.get('/portal/*', hidden, index('portal'))
}
