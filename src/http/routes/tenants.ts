import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { newId } from '../../core/ids.js'
import { metadataTooLarge } from '../../core/limits.js'
import { allowedNetworksErrors } from '../../core/network-policies.js'
import { AppError, notFound } from '../../errors.js'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { decodeCursor, page, presentApiKey, presentTenant } from '../present.js'
import { ApiKeyOut, listOf, ListQuery, Metadata, NoContent, TenantId, TenantOut, Text } from '../schemas.js'

const TenantParams = Type.Object({ tenantId: Type.String() })

function checkMetadata(metadata: unknown): void {
  if (metadata !== undefined && metadataTooLarge(metadata)) {
    throw new AppError('validation_failed', '/metadata: must be at most 16 KiB', [{ path: '/metadata', message: 'must be at most 16 KiB' }])
  }
}

/** 422 on entries that are not CIDRs or too many of them; the list as stored (entries trimmed). */
function checkNetworks(list: string[] | null | undefined): string[] | null | undefined {
  if (list === undefined || list === null) return list
  const errors = allowedNetworksErrors(list)
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
  return list.map((e) => e.trim())
}

/**
 * A tenant's allowedNetworks are the admin's (API.md, "Tenants and keys"): a tenant key must not
 * open its own way into private networks. Checked before the body's schema, so the answer is 403
 * whatever the value.
 */
async function onlyAdminSetsNetworks(req: FastifyRequest): Promise<void> {
  const body = req.body as Record<string, unknown> | null | undefined
  if (req.principal?.kind !== 'admin' && typeof body === 'object' && body !== null && Object.hasOwn(body, 'allowedNetworks')) {
    throw new AppError('forbidden', "Only the admin token may set a tenant's allowedNetworks.")
  }
}

const NETWORKS_DOC =
  "The private networks (CIDRs, v4 or v6, at most 100) this tenant's endpoints, their rendered URLs and its gateway routes may reach, in place of the server-wide HOOKRELAY_ALLOWED_NETWORKS: null (the default) = the server's list, [] = none. Admin token only (403 for a tenant key); a change reaches deliveries and routes within 10 s on every node."
const AllowedNetworks = Type.Union([Type.Array(Type.String(), { examples: [['10.1.0.0/16', 'fd00:1::/64']] }), Type.Null()], { description: NETWORKS_DOC })

const op = operations('tenants')

export const tenantRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { store, access, endpoints, sources, routes }) => {
  app.post(
    '/v1/tenants',
    {
      schema: {
        ...op('createTenant', 'Create a tenant', 'A tenant owns endpoints, events, sources and routes. `id` is yours to choose (`[A-Za-z0-9_-]{1,64}`) or generated (`tn_...`); ids starting with `_` are reserved. 409 if the id exists. `allowedNetworks`: see the field.', ['tenant_exists', 'reserved_tenant']),
        body: Type.Object(
          { id: Type.Optional(TenantId), name: Text({ minLength: 1, maxLength: 256 }), metadata: Type.Optional(Metadata), allowedNetworks: Type.Optional(AllowedNetworks) },
          { additionalProperties: false, examples: [{ id: 'acme', name: 'Acme Inc.', metadata: { plan: 'pro' } }, { name: 'Globex' }, { id: 'intranet', name: 'Intranet', allowedNetworks: ['10.1.0.0/16'] }] },
        ),
        response: { 201: TenantOut },
      },
      preValidation: onlyAdminSetsNetworks,
    },
    async (req, reply) => {
      const { id, name, metadata } = req.body
      checkMetadata(metadata)
      const allowedNetworks = checkNetworks(req.body.allowedNetworks) ?? null
      // Ids starting with "_" are the server's own (the _operator tenant).
      if (id?.startsWith('_')) throw new AppError('reserved_tenant', undefined, [{ path: '/id', message: 'is reserved' }])
      const now = Date.now()
      const tenant = { id: id ?? newId('tn', now), name, metadata: metadata ?? {}, allowedNetworks, createdAt: now, updatedAt: now }
      if (!(await store.createTenant(tenant))) throw new AppError('tenant_exists', `Tenant ${tenant.id} already exists.`)
      return reply.code(201).send(presentTenant(tenant))
    },
  )

  app.get('/v1/tenants', { schema: { ...op('listTenants', 'List tenants', 'Every tenant, oldest first, a page at a time (`limit`, `cursor`). Admin token only.'), querystring: ListQuery, response: { 200: listOf(TenantOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await store.listTenants({ limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, presentTenant)
  })

  app.get('/v1/tenants/:tenantId', { schema: { ...op('getTenant', 'Get a tenant', 'The tenant with its metadata.'), params: TenantParams, response: { 200: TenantOut } } }, async (req) => {
    const t = await store.getTenant(req.params.tenantId)
    if (!t) throw notFound(`Tenant ${req.params.tenantId}`)
    return presentTenant(t)
  })

  app.patch(
    '/v1/tenants/:tenantId',
    {
      schema: {
        ...op('updateTenant', 'Update a tenant', 'Changes `name`, `metadata` and/or `allowedNetworks` (admin token only; null goes back to the server-wide list); fields left out keep their value.'),
        params: TenantParams,
        body: Type.Object(
          { name: Type.Optional(Text({ minLength: 1, maxLength: 256 })), metadata: Type.Optional(Metadata), allowedNetworks: Type.Optional(AllowedNetworks) },
          { additionalProperties: false, examples: [{ name: 'Acme Corporation', metadata: { plan: 'enterprise' } }, { allowedNetworks: ['10.1.0.0/16'] }, { allowedNetworks: null }] },
        ),
        response: { 200: TenantOut },
      },
      preValidation: onlyAdminSetsNetworks,
    },
    async (req) => {
      checkMetadata(req.body?.metadata)
      const patch = { ...req.body, allowedNetworks: checkNetworks(req.body?.allowedNetworks) }
      const t = await store.updateTenant(req.params.tenantId, patch, Date.now())
      if (!t) throw notFound(`Tenant ${req.params.tenantId}`)
      // Deliveries render the tenant and are judged by its networks, and its routes too: this
      // node forgets them at once, other nodes within their caches' 5 s.
      endpoints.tenantChanged(t.id)
      routes.tenantChanged(t.id)
      return presentTenant(t)
    },
  )

  // Deleting a tenant is the operator's: its own key cannot delete it (and itself with it).
  app.delete('/v1/tenants/:tenantId', { config: { adminOnly: 'delete a tenant' }, schema: { ...op('deleteTenant', 'Delete a tenant', "Deletes the tenant with its endpoints, events, deliveries, sources, routes and API keys. Admin token only; the server's own `_operator` tenant cannot be deleted.", ['reserved_tenant']), params: TenantParams, response: { 204: NoContent } } }, async (req, reply) => {
    if (req.params.tenantId.startsWith('_')) throw new AppError('reserved_tenant')
    if (!(await store.deleteTenant(req.params.tenantId))) throw notFound(`Tenant ${req.params.tenantId}`)
    access.forget()
    endpoints.tenantChanged(req.params.tenantId)
    sources.tenantDeleted()
    routes.tenantDeleted(req.params.tenantId)
    return reply.code(204).send(null)
  })

  // API keys are the admin's to manage (API.md, Tenants and keys): a key that could mint keys
  // would survive its own revocation through the ones it made.
  const keys = { adminOnly: 'manage API keys' }

  app.post(
    '/v1/tenants/:tenantId/api-keys',
    {
      config: keys,
      schema: {
        ...op('createApiKey', 'Create an API key', "A key for this tenant's API only (`/v1/tenants/{tenantId}/...`). `key` is shown in this answer only: store it now. Admin token only."),
        params: TenantParams,
        body: Type.Object({ name: Text({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false, examples: [{ name: 'production' }] }),
        response: { 201: ApiKeyOut },
      },
    },
    async (req, reply) => {
      const { record, key } = await access.createApiKey(req.params.tenantId, req.body.name)
      return reply.code(201).send(presentApiKey(record, key))
    },
  )

  app.get(
    '/v1/tenants/:tenantId/api-keys',
    { config: keys, schema: { ...op('listApiKeys', 'List API keys', "The tenant's API keys, without the keys themselves. Admin token only."), params: TenantParams, querystring: ListQuery, response: { 200: listOf(ApiKeyOut) } } },
    async (req) => {
      if (!(await store.getTenant(req.params.tenantId))) throw notFound(`Tenant ${req.params.tenantId}`)
      const limit = req.query.limit ?? 50
      const rows = await store.listApiKeys(req.params.tenantId, { limit, after: decodeCursor(req.query.cursor) })
      return page(rows, limit, (k) => presentApiKey(k))
    },
  )

  app.delete(
    '/v1/tenants/:tenantId/api-keys/:keyId',
    { config: keys, schema: { ...op('deleteApiKey', 'Revoke an API key', 'The key stops working at once on this node and within seconds on others. Admin token only.'), params: Type.Object({ tenantId: Type.String(), keyId: Type.String() }), response: { 204: NoContent } } },
    async (req, reply) => {
      await access.deleteApiKey(req.params.tenantId, req.params.keyId)
      return reply.code(204).send(null)
    },
  )
}
