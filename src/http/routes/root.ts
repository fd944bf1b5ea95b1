import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'

const op = operations('ops')

const RootOut = Type.Object({
  name: Type.Literal('hookrelay'),
  version: Type.String(),
  dashboard: Type.String({ description: 'The dashboard: /ui/' }),
  docs: Type.String({ description: 'The API reference, browsable: /docs' }),
  openapi: Type.String({ description: 'The OpenAPI 3.1 document: /openapi.json' }),
  health: Type.String({ description: '/healthz' }),
})

/**
 * `GET /`: where things are. Someone who opens the server's address in a browser wants the
 * dashboard, so a request that prefers HTML is redirected to /ui/; anything else (curl, a script)
 * gets a small JSON index of links. No token: it says nothing the paths themselves do not.
 */
export const rootRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { version }) => {
  app.get(
    '/',
    {
      schema: {
        ...op(
          'getRoot',
          'Where things are',
          'A JSON index of links: `{name, version, dashboard: "/ui/", docs: "/docs", openapi: "/openapi.json", health: "/healthz"}`. A request that prefers text/html (a browser) is redirected (302) to the dashboard at /ui/ instead. No token.',
        ),
        security: [],
        response: { 200: RootOut, 302: Type.Null({ description: 'To /ui/, for a browser (a request that prefers text/html).' }) },
      },
    },
    async (req, reply) => {
      reply.header('vary', 'accept')
      if (prefersHtml(req.headers.accept)) return reply.redirect('/ui/', 302)
      return { name: 'hookrelay' as const, version, dashboard: '/ui/', docs: '/docs', openapi: '/openapi.json', health: '/healthz' }
    },
  )
}

/** Whether an Accept header ranks text/html above application/json (RFC 9110 12.5.1): a browser's does; curl's, which takes any type, does not. */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false
  let html = 0
  let json = 0
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';')
    const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? '1')
    const weight = Number.isFinite(q) ? q : 0
    if (range.trim() === 'text/html' || range.trim() === 'application/xhtml+xml') html = Math.max(html, weight)
    if (range.trim() === 'application/json') json = Math.max(json, weight)
  }
  return html > 0 && html > json
}
