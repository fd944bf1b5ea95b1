import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CAPABILITIES, type Capability } from '../../core/capabilities.js'
import type { PortalSession, PortalTheme } from '../../core/model.js'
import { notFound } from '../../errors.js'
import { capabilitiesOf } from '../../services/access.js'
import type { AppDeps } from '../app.js'
import { decodeCursor, page, publicBase } from '../present.js'
import { ListQuery, listOf, problems, Text } from '../schemas.js'

const TenantParams = Type.Object({ tenantId: Type.String() })
const Time = Type.String({ format: 'date-time' })
const CapabilityName = Type.Union([Type.Literal('endpoints.write'), Type.Literal('secrets.read'), Type.Literal('secrets.rotate'), Type.Literal('deliveries.retry')])
// The schema's list and the code's must agree.
const _sameCapabilities: Record<Capability, true> = { 'endpoints.write': true, 'secrets.read': true, 'secrets.rotate': true, 'deliveries.retry': true }
void _sameCapabilities
const Mode = Type.Union([Type.Literal('auto'), Type.Literal('light'), Type.Literal('dark')])

const ThemeIn = Type.Object(
  {
    title: Type.Optional(Text({ minLength: 1, maxLength: 256, description: 'Shown in the header and the page title. Default: the tenant name.' })),
    primaryColor: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: '`#rrggbb`. Default: the app\'s own.' })),
    logoUrl: Type.Optional(Type.String({ maxLength: 2048, pattern: '^https?://[^\\u0000\\s]+$', description: 'An http(s) image URL shown beside the title.' })),
    mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('light'), Type.Literal('dark')], { description: 'Default auto: follows the viewer\'s system.' })),
  },
  { additionalProperties: false },
)
export const ThemeOut = Type.Object({
  title: Type.Union([Type.String(), Type.Null()]),
  primaryColor: Type.Union([Type.String(), Type.Null()]),
  logoUrl: Type.Union([Type.String(), Type.Null()]),
  mode: Mode,
})

const SessionOut = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  url: Type.Optional(Type.String({ description: 'Shown only when the session is created: `{public URL}/portal#token={token}`.' })),
  token: Type.Optional(Type.String({ description: 'Shown only when the session is created.' })),
  expiresAt: Time,
  capabilities: Type.Array(CapabilityName),
  theme: ThemeOut,
  createdAt: Time,
})

const WhoamiOut = Type.Object({
  kind: Type.Union([Type.Literal('admin'), Type.Literal('tenant'), Type.Literal('portal')]),
  tenantId: Type.Union([Type.String(), Type.Null()], { description: 'Null for the admin token.' }),
  capabilities: Type.Array(CapabilityName, { description: 'What the token may do beyond reading; all of them but for a portal token.' }),
  sessionId: Type.Optional(Type.String({ description: 'Portal tokens only.' })),
  expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Portal tokens only.' })),
  theme: Type.Optional(Type.Object(ThemeOut.properties, { description: 'Portal tokens only: how the portal should look.' })),
})

const iso = (ms: number): string => new Date(ms).toISOString()

const presentSession = (s: PortalSession, created?: { token: string; url: string }) => ({
  id: s.id,
  tenantId: s.tenantId,
  ...(created ?? {}),
  expiresAt: iso(s.expiresAt),
  capabilities: s.capabilities,
  theme: s.theme,
  createdAt: iso(s.createdAt),
})

/** Portal sessions (admin only) and whoami (any token): API.md, "Dashboard and portal" and "CLI". */
export const portalSessionRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { access, store, publicUrl }) => {
  const base = '/v1/tenants/:tenantId/portal-sessions'

  app.post(
    base,
    {
      config: { adminOnly: 'manage portal sessions' },
      schema: {
        operationId: 'createPortalSession',
        summary: 'Create a portal session',
        description:
          "A short-lived link to the portal scoped to one tenant: `url` is `{public URL}/portal#token={token}` (the token travels in the fragment, so it never reaches a server log). The token is a bearer token for that tenant's API, limited to `capabilities` (default all); reading is always allowed. The token is shown only here. Admin token only.",
        tags: ['portal'],
        params: TenantParams,
        body: Type.Object(
          {
            expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 604800, description: 'Default 3600.' })),
            capabilities: Type.Optional(Type.Array(CapabilityName, { maxItems: 16, description: 'Default: all of them.' })),
            theme: Type.Optional(ThemeIn),
          },
          { additionalProperties: false, examples: [{}, { expiresInSeconds: 900, capabilities: ['endpoints.write'], theme: { title: 'Acme webhooks', primaryColor: '#0b5fff', mode: 'dark' } }] },
        ),
        response: { 201: SessionOut, ...problems(400, 401, 403, 404, 422) },
      },
      // No body means every default.
      preValidation: async (req) => {
        req.body ??= {}
      },
    },
    async (req, reply) => {
      const b = req.body
      const theme: PortalTheme = { title: b.theme?.title ?? null, primaryColor: b.theme?.primaryColor ?? null, logoUrl: b.theme?.logoUrl ?? null, mode: b.theme?.mode ?? 'auto' }
      const { session, token } = await access.createPortalSession(req.params.tenantId, {
        expiresInSeconds: b.expiresInSeconds ?? 3600,
        capabilities: b.capabilities ?? [...CAPABILITIES],
        theme,
      })
      const url = `${publicBase(publicUrl, req)}/portal#token=${token}`
      return reply.code(201).send(presentSession(session, { url, token }))
    },
  )

  app.get(
    base,
    {
      config: { adminOnly: 'manage portal sessions' },
      schema: {
        operationId: 'listPortalSessions',
        summary: 'List live portal sessions',
        description: "The tenant's portal sessions that have not expired, newest first (tokens are not shown again). Admin token only.",
        tags: ['portal'],
        params: TenantParams,
        querystring: ListQuery,
        response: { 200: listOf(SessionOut), ...problems(401, 403, 404, 422) },
      },
    },
    async (req) => {
      if (!(await store.getTenant(req.params.tenantId))) throw notFound(`Tenant ${req.params.tenantId}`)
      const limit = req.query.limit ?? 50
      const rows = await store.listPortalSessions(req.params.tenantId, Date.now(), { limit, after: decodeCursor(req.query.cursor) })
      return page(rows, limit, (s) => presentSession(s))
    },
  )

  app.delete(
    `${base}/:sessionId`,
    {
      config: { adminOnly: 'manage portal sessions' },
      schema: {
        operationId: 'revokePortalSession',
        summary: 'Revoke a portal session',
        description: 'Its token stops working at once, on every node: the next request with it is a 401. Admin token only.',
        tags: ['portal'],
        params: Type.Object({ tenantId: Type.String(), sessionId: Type.String() }),
        response: { 204: Type.Null({ description: 'Revoked.' }), ...problems(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await access.revokePortalSession(req.params.tenantId, req.params.sessionId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/v1/whoami',
    {
      config: { access: 'anyone' },
      schema: {
        operationId: 'whoami',
        summary: 'Who this token is',
        description:
          "`kind` is `admin`, `tenant` (an API key) or `portal` (a portal session's token); `tenantId` the tenant it is scoped to (null for the admin); `capabilities` what it may do beyond reading. A portal token also gets its session's `sessionId`, `expiresAt` and `theme`, for the portal app to dress itself.",
        tags: ['auth'],
        response: { 200: WhoamiOut, ...problems(401) },
      },
    },
    async (req) => {
      const p = req.principal!
      const out = { kind: p.kind, tenantId: p.kind === 'admin' ? null : p.tenantId, capabilities: [...capabilitiesOf(p)] }
      if (p.kind !== 'portal') return out
      return { ...out, sessionId: p.session.id, expiresAt: iso(p.session.expiresAt), theme: p.session.theme }
    },
  )
}
