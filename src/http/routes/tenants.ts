import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { newId } from '../../core/ids.js'
import { metadataTooLarge } from '../../core/limits.js'
import { AppError, notFound } from '../../errors.js'
import type { AppDeps } from '../app.js'
import { decodeCursor, page, presentApiKey, presentTenant } from '../present.js'
import { ApiKeyOut, ListQuery, listOf, Metadata, TenantId, TenantOut, Text } from '../schemas.js'

const TenantParams = Type.Object({ tenantId: Type.String() })

function checkMetadata(metadata: unknown): void {
  if (metadata !== undefined && metadataTooLarge(metadata)) {
    throw new AppError('validation_failed', '/metadata: must be at most 16 KiB', [{ path: '/metadata', message: 'must be at most 16 KiB' }])
  }
}

export const tenantRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { store, access, endpoints, sources, routes }) => {
  app.post(
    '/v1/tenants',
    {
      schema: {
        tags: ['tenants'],
        body: Type.Object(
          { id: Type.Optional(TenantId), name: Text({ minLength: 1, maxLength: 256 }), metadata: Type.Optional(Metadata) },
          { additionalProperties: false },
        ),
        response: { 201: TenantOut },
      },
    },
    async (req, reply) => {
      const { id, name, metadata } = req.body
      checkMetadata(metadata)
      // Ids starting with "_" are the server's own (the _operator tenant).
      if (id?.startsWith('_')) throw new AppError('reserved_tenant', undefined, [{ path: '/id', message: 'is reserved' }])
      const now = Date.now()
      const tenant = { id: id ?? newId('tn', now), name, metadata: metadata ?? {}, createdAt: now, updatedAt: now }
      if (!(await store.createTenant(tenant))) throw new AppError('tenant_exists', `Tenant ${tenant.id} already exists.`)
      return reply.code(201).send(presentTenant(tenant))
    },
  )

  app.get('/v1/tenants', { schema: { tags: ['tenants'], querystring: ListQuery, response: { 200: listOf(TenantOut) } } }, async (req) => {
    const limit = req.query.limit ?? 50
    const rows = await store.listTenants({ limit, after: decodeCursor(req.query.cursor) })
    return page(rows, limit, presentTenant)
  })

  app.get('/v1/tenants/:tenantId', { schema: { tags: ['tenants'], params: TenantParams, response: { 200: TenantOut } } }, async (req) => {
    const t = await store.getTenant(req.params.tenantId)
    if (!t) throw notFound(`Tenant ${req.params.tenantId}`)
    return presentTenant(t)
  })

  app.patch(
    '/v1/tenants/:tenantId',
    {
      schema: {
        tags: ['tenants'],
        params: TenantParams,
        body: Type.Object(
          { name: Type.Optional(Text({ minLength: 1, maxLength: 256 })), metadata: Type.Optional(Metadata) },
          { additionalProperties: false },
        ),
        response: { 200: TenantOut },
      },
    },
    async (req) => {
      checkMetadata(req.body?.metadata)
      const t = await store.updateTenant(req.params.tenantId, req.body ?? {}, Date.now())
      if (!t) throw notFound(`Tenant ${req.params.tenantId}`)
      endpoints.tenantChanged(t.id)
      return presentTenant(t)
    },
  )

  // Deleting a tenant is the operator's: its own key cannot delete it (and itself with it).
  app.delete('/v1/tenants/:tenantId', { config: { adminOnly: 'delete a tenant' }, schema: { tags: ['tenants'], params: TenantParams } }, async (req, reply) => {
    if (req.params.tenantId.startsWith('_')) throw new AppError('reserved_tenant')
    if (!(await store.deleteTenant(req.params.tenantId))) throw notFound(`Tenant ${req.params.tenantId}`)
    access.forget()
    endpoints.tenantChanged(req.params.tenantId)
    sources.tenantDeleted()
    routes.tenantDeleted(req.params.tenantId)
    return reply.code(204).send()
  })

  // API keys are the admin's to manage (API.md, Tenants and keys): a key that could mint keys
  // would survive its own revocation through the ones it made.
  const keys = { adminOnly: 'manage API keys' }

  app.post(
    '/v1/tenants/:tenantId/api-keys',
    {
      config: keys,
      schema: {
        tags: ['tenants'],
        params: TenantParams,
        body: Type.Object({ name: Text({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
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
    { config: keys, schema: { tags: ['tenants'], params: TenantParams, querystring: ListQuery, response: { 200: listOf(ApiKeyOut) } } },
    async (req) => {
      if (!(await store.getTenant(req.params.tenantId))) throw notFound(`Tenant ${req.params.tenantId}`)
      const limit = req.query.limit ?? 50
      const rows = await store.listApiKeys(req.params.tenantId, { limit, after: decodeCursor(req.query.cursor) })
      return page(rows, limit, (k) => presentApiKey(k))
    },
  )

  app.delete(
    '/v1/tenants/:tenantId/api-keys/:keyId',
    { config: keys, schema: { tags: ['tenants'], params: Type.Object({ tenantId: Type.String(), keyId: Type.String() }) } },
    async (req, reply) => {
      await access.deleteApiKey(req.params.tenantId, req.params.keyId)
      return reply.code(204).send()
    },
  )
}
