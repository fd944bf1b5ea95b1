import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { decodeCursor, page, publicBase, presentRoute } from '../present.js'
import { listOf, ListQuery, NoContent, Text } from '../schemas.js'

const routeFields = {
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Unique in the tenant: the path segment after the tenant in /gw/, and the channel of the route\'s events.' }),
  upstreamUrl: Text({ minLength: 1, maxLength: 2048, description: 'http:// or https://. Requests go to this URL with the path after the route name appended; the SSRF guard applies as for endpoints.' }),
  timeoutSeconds: Type.Integer({ minimum: 1, maximum: 60, description: 'How long the upstream has to answer before the gateway answers 504. Default 30.' }),
}
const RouteCreate = Type.Object(
  { name: routeFields.name, upstreamUrl: routeFields.upstreamUrl, timeoutSeconds: Type.Optional(routeFields.timeoutSeconds) },
  { additionalProperties: false, examples: [{ name: 'orders', upstreamUrl: 'https://api.example.com/orders', timeoutSeconds: 10 }] },
)
const RoutePatch = Type.Object(
  { name: Type.Optional(routeFields.name), upstreamUrl: Type.Optional(routeFields.upstreamUrl), timeoutSeconds: Type.Optional(routeFields.timeoutSeconds) },
  { additionalProperties: false, examples: [{ upstreamUrl: 'https://api.example.com/v2/orders' }, { timeoutSeconds: 5 }] },
)
const RouteOut = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  upstreamUrl: Type.String(),
  timeoutSeconds: Type.Integer(),
  gatewayUrl: Type.String({ description: 'Send requests here, any method, with any path and query after it; no bearer token.' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
const TenantParams = Type.Object({ tenantId: Type.String() })
const RouteParams = Type.Object({ tenantId: Type.String(), routeId: Type.String() })

/** `/v1/tenants/{tenantId}/routes` (API.md, Gateway routes): the routes' configuration. */

const op = operations('routes')

export const gatewayRouteRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { routes, publicUrl }) => {
  const base = '/v1/tenants/:tenantId/routes'
  const baseUrl = (req: { protocol: string; host: string }) => publicBase(publicUrl, req)

  app.post(base, { schema: { ...op('createRoute', 'Create a gateway route', 'Requests to `/gw/{tenantId}/{name}/...` are forwarded to `upstreamUrl`, and each becomes lifecycle events (`request.received`, `request.success`, ...) on channel `{name}`.', ['route_exists', 'url_not_allowed']), params: TenantParams, body: RouteCreate, response: { 201: RouteOut } } }, async (req, reply) =>
    reply.code(201).send(presentRoute(await routes.create(req.params.tenantId, req.body), baseUrl(req))),
  )

  app.get(base, { schema: { ...op('listRoutes', 'List gateway routes', "The tenant's routes, oldest first."), params: TenantParams, querystring: ListQuery, response: { 200: listOf(RouteOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await routes.list(req.params.tenantId, { limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, (r) => presentRoute(r, baseUrl(req)))
  })

  app.get(`${base}/:routeId`, { schema: { ...op('getRoute', 'Get a gateway route', 'One route with its gateway URL.'), params: RouteParams, response: { 200: RouteOut } } }, async (req) =>
    presentRoute(await routes.get(req.params.tenantId, req.params.routeId), baseUrl(req)),
  )

  app.patch(`${base}/:routeId`, { schema: { ...op('updateRoute', 'Update a gateway route', 'Changes the fields given; the others keep their value.', ['route_exists', 'url_not_allowed']), params: RouteParams, body: RoutePatch, response: { 200: RouteOut } } }, async (req) =>
    presentRoute(await routes.update(req.params.tenantId, req.params.routeId, req.body ?? {}), baseUrl(req)),
  )

  app.delete(`${base}/:routeId`, { schema: { ...op('deleteRoute', 'Delete a gateway route', 'Deletes the route; its gateway URL answers 404 from then on.'), params: RouteParams, response: { 204: NoContent } } }, async (req, reply) => {
    await routes.delete(req.params.tenantId, req.params.routeId)
    return reply.code(204).send(null)
  })
}
