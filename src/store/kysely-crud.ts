import type { Kysely } from 'kysely'
import type { ApiKey, EventType, PortalSession, Tenant } from '../core/model.js'
import { endpointFromRow, eventFromRow, headerColumns, parseJson, previousSecretColumns, SECRET_COLUMNS, sealedSecretsFromRow, type PreviousSecretColumns } from './rows.js'
import type { Database, EndpointRow } from './schema.js'
import type { DeliveryLog, DeliveryQueue, EndpointPatch, RouteStore, SourceStore, Store } from './store.js'

/**
 * The part of the Store that is plain CRUD: settings, tenants and their keys, event types,
 * endpoints and their secrets, event reads. Kysely writes the same SQL for SQLite and PostgreSQL
 * here, so both dialects share this code; only how a unique violation shows itself differs, and
 * each dialect says so. The queue, the request log and retention's delete, where the dialects part
 * ways, stay in sqlite/ and postgres/.
 */
export type KyselyCrud = Omit<
  Store,
  | 'dialect'
  | 'close'
  | keyof DeliveryQueue
  | 'publishBatch'
  | keyof DeliveryLog
  | keyof SourceStore
  | keyof RouteStore
  | 'pruneFinalEvents'
  | 'onDueWork'
  | 'sharedLimits'
  | 'attemptNotices'
>

export function createKyselyCrud(k: Kysely<Database>, isUniqueViolation: (err: unknown) => boolean): KyselyCrud {
const tenantFromRow = (r: Database['tenants']): Tenant => ({
  id: r.id,
  name: r.name,
  metadata: parseJson(r.metadata),
  allowedNetworks: r.allowed_networks === null ? null : parseJson(r.allowed_networks),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})
const networksColumn = (list: string[] | null): string | null => (list === null ? null : JSON.stringify(list))
const eventTypeFromRow = (r: Database['event_types']): EventType => ({
  name: r.name,
  description: r.description,
  schema: r.schema === null ? null : parseJson(r.schema),
  example: r.example === null ? null : parseJson(r.example),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})
const apiKeyFromRow = (r: Pick<Database['api_keys'], 'id' | 'tenant_id' | 'name' | 'created_at'>): ApiKey => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  createdAt: r.created_at,
})
const portalSessionFromRow = (r: Database['portal_sessions']): PortalSession => ({
  id: r.id,
  tenantId: r.tenant_id,
  capabilities: parseJson(r.capabilities),
  theme: parseJson(r.theme),
  expiresAt: r.expires_at,
  createdAt: r.created_at,
})
  return {

    async getSetting(key) {
      const row = await k.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
      return row?.value ?? null
    },
    async initSetting(key, value) {
      await k.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute()
      const row = await k.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow()
      return row.value
    },
    async setSetting(key, value) {
      await k.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute()
    },
    async deleteSetting(key, value) {
      const r = await k.deleteFrom('settings').where('key', '=', key).where('value', '=', value).executeTakeFirst()
      return Number(r.numDeletedRows) > 0
    },

    async createTenant(t) {
      try {
        await k
          .insertInto('tenants')
          .values({ id: t.id, name: t.name, metadata: JSON.stringify(t.metadata), allowed_networks: networksColumn(t.allowedNetworks ?? null), created_at: t.createdAt, updated_at: t.updatedAt })
          .execute()
        return true
      } catch (err) {
        if (isUniqueViolation(err)) return false
        throw err
      }
    },
    async getTenant(id) {
      const row = await k.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst()
      return row ? tenantFromRow(row) : null
    },
    async listTenants(page) {
      let q = k.selectFrom('tenants').selectAll().orderBy('id', 'asc').limit(page.limit)
      if (page.after !== null) q = q.where('id', '>', page.after)
      return (await q.execute()).map(tenantFromRow)
    },
    async updateTenant(id, patch, now) {
      const set: Partial<Database['tenants']> = { updated_at: now }
      if (patch.name !== undefined) set.name = patch.name
      if (patch.metadata !== undefined) set.metadata = JSON.stringify(patch.metadata)
      if (patch.allowedNetworks !== undefined) set.allowed_networks = networksColumn(patch.allowedNetworks)
      const row = await k.updateTable('tenants').set(set).where('id', '=', id).returningAll().executeTakeFirst()
      return row ? tenantFromRow(row) : null
    },
    async deleteTenant(id) {
      const r = await k.deleteFrom('tenants').where('id', '=', id).executeTakeFirst()
      return r.numDeletedRows > 0n
    },
    async createApiKey(key, keyHash) {
      await k
        .insertInto('api_keys')
        .values({ id: key.id, tenant_id: key.tenantId, name: key.name, key_hash: keyHash, created_at: key.createdAt })
        .execute()
    },
    async findApiKey(keyHash) {
      const row = await k
        .selectFrom('api_keys')
        .select(['id', 'tenant_id', 'name', 'created_at'])
        .where('key_hash', '=', keyHash)
        .executeTakeFirst()
      return row ? apiKeyFromRow(row) : null
    },
    async listApiKeys(tenantId, page) {
      let q = k
        .selectFrom('api_keys')
        .select(['id', 'tenant_id', 'name', 'created_at'])
        .where('tenant_id', '=', tenantId)
        .orderBy('id', 'desc')
        .limit(page.limit)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(apiKeyFromRow)
    },
    async deleteApiKey(tenantId, id) {
      const r = await k.deleteFrom('api_keys').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return r.numDeletedRows > 0n
    },

    async createPortalSession(ps, tokenHash) {
      await k
        .insertInto('portal_sessions')
        .values({
          id: ps.id,
          tenant_id: ps.tenantId,
          token_hash: tokenHash,
          capabilities: JSON.stringify(ps.capabilities),
          theme: JSON.stringify(ps.theme),
          expires_at: ps.expiresAt,
          created_at: ps.createdAt,
        })
        .execute()
    },
    async findPortalSession(tokenHash) {
      const row = await k.selectFrom('portal_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst()
      return row ? portalSessionFromRow(row) : null
    },
    async listPortalSessions(tenantId, now, page) {
      let q = k
        .selectFrom('portal_sessions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('expires_at', '>', now)
        .orderBy('id', 'desc')
        .limit(page.limit)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(portalSessionFromRow)
    },
    async deletePortalSession(tenantId, id) {
      const r = await k.deleteFrom('portal_sessions').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return r.numDeletedRows > 0n
    },
    async prunePortalSessions(before) {
      const r = await k.deleteFrom('portal_sessions').where('expires_at', '<', before).executeTakeFirst()
      return Number(r.numDeletedRows)
    },

    async createEventType(t) {
      try {
        await k
          .insertInto('event_types')
          .values({
            name: t.name,
            description: t.description,
            schema: t.schema === null ? null : JSON.stringify(t.schema),
            example: t.example === null ? null : JSON.stringify(t.example),
            created_at: t.createdAt,
            updated_at: t.updatedAt,
          })
          .execute()
        return true
      } catch (err) {
        if (isUniqueViolation(err)) return false
        throw err
      }
    },
    async getEventType(name) {
      const row = await k.selectFrom('event_types').selectAll().where('name', '=', name).executeTakeFirst()
      return row ? eventTypeFromRow(row) : null
    },
    async listEventTypes(page) {
      let q = k.selectFrom('event_types').selectAll().orderBy('name', 'asc').limit(page.limit)
      if (page.after !== null) q = q.where('name', '>', page.after)
      return (await q.execute()).map(eventTypeFromRow)
    },
    async updateEventType(name, patch, now) {
      const set: Partial<Database['event_types']> = { updated_at: now }
      if (patch.description !== undefined) set.description = patch.description
      if (patch.schema !== undefined) set.schema = patch.schema === null ? null : JSON.stringify(patch.schema)
      if (patch.example !== undefined) set.example = patch.example === null ? null : JSON.stringify(patch.example)
      const row = await k.updateTable('event_types').set(set).where('name', '=', name).returningAll().executeTakeFirst()
      return row ? eventTypeFromRow(row) : null
    },
    async deleteEventType(name) {
      const r = await k.deleteFrom('event_types').where('name', '=', name).executeTakeFirst()
      return r.numDeletedRows > 0n
    },

    async createEndpoint(ep, secrets) {
      await k
        .insertInto('endpoints')
        .values({
          id: ep.id,
          tenant_id: ep.tenantId,
          created_at: ep.createdAt,
          updated_at: ep.updatedAt,
          // Every column is present for a whole endpoint; the helper's Partial type cannot say so.
          ...(endpointColumns(ep) as Omit<EndpointRow, 'id' | 'tenant_id' | 'created_at' | 'updated_at' | 'secret_sealed' | keyof PreviousSecretColumns>),
          secret_sealed: secrets.current,
          ...previousSecretColumns(secrets.previous),
        })
        .execute()
    },
    async getEndpoint(tenantId, id) {
      let q = k.selectFrom('endpoints').selectAll().where('id', '=', id)
      if (tenantId !== null) q = q.where('tenant_id', '=', tenantId)
      const row = await q.executeTakeFirst()
      return row ? endpointFromRow(row) : null
    },
    async listEndpoints(tenantId, page) {
      let q = k.selectFrom('endpoints').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(page.limit)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(endpointFromRow)
    },
    async listEnabledEndpoints(tenantId) {
      const rows = await k.selectFrom('endpoints').selectAll().where('tenant_id', '=', tenantId).where('enabled', '=', 1).execute()
      return rows.map(endpointFromRow)
    },
    async updateEndpoint(tenantId, id, patch, now) {
      let q = k.updateTable('endpoints').set({ ...endpointColumns(patch), updated_at: now }).where('id', '=', id)
      if (tenantId !== null) q = q.where('tenant_id', '=', tenantId)
      const row = await q.returningAll().executeTakeFirst()
      if (row && patch.enabled === false) {
        // Its deliveries waiting for a retry fail now ("endpoint disabled") rather than showing
        // pending until their retry time. Failed here, not made due: a worker whose endpoint cache
        // has not seen the change yet would send them. Leased ones are in a dispatcher's hands and
        // fail there; manual retries still go (an operator asked for them). Not in one transaction
        // with the endpoint (see sqlite-store.ts): if this is lost, they fail at their time instead.
        await k
          .updateTable('deliveries')
          .set({ status: 'failed', next_attempt_at: null, updated_at: now })
          .where('endpoint_id', '=', id)
          .where('status', '=', 'pending')
          .where('lease_owner', 'is', null)
          .where('pending_trigger', '<>', 'manual')
          .execute()
      }
      return row ? endpointFromRow(row) : null
    },
    async setEndpointDegraded(endpointId, since) {
      const q = k.updateTable('endpoints').set({ degraded_since: since }).where('id', '=', endpointId)
      const r = await (since === null ? q.where('degraded_since', 'is not', null) : q.where('degraded_since', 'is', null)).executeTakeFirst()
      return r.numUpdatedRows > 0n
    },
    async attemptCountsSince(endpointIds, since) {
      if (endpointIds.length === 0) return []
      // One scan of attempts_endpoint_time per endpoint. pg returns count() and sum() as text.
      const rows = await k
        .selectFrom('attempts')
        .select((eb) => ['endpoint_id', eb.fn.countAll<number | string>().as('n'), eb.fn.sum<number | string>('success').as('ok')])
        .where('endpoint_id', 'in', endpointIds)
        .where('started_at', '>=', since)
        .where('trigger', '<>', 'test')
        .groupBy('endpoint_id')
        .execute()
      return rows.map((r) => ({ endpointId: r.endpoint_id, attempts: Number(r.n), succeeded: Number(r.ok) }))
    },
    async deleteEndpoint(tenantId, id) {
      const r = await k.deleteFrom('endpoints').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return r.numDeletedRows > 0n
    },
    async getSecrets(endpointId) {
      const row = await k
        .selectFrom('endpoints')
        .select(SECRET_COLUMNS)
        .where('id', '=', endpointId)
        .executeTakeFirst()
      return row ? sealedSecretsFromRow(row.secret_sealed, row) : null
    },
    async setSecrets(endpointId, s, now, ifCurrent) {
      const r = await k
        .updateTable('endpoints')
        .set({ secret_sealed: s.current, ...previousSecretColumns(s.previous), updated_at: now })
        .where('id', '=', endpointId)
        .$if(ifCurrent !== undefined, (q) => q.where('secret_sealed', '=', ifCurrent!))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },

    async pruneIdempotencyKeys(before, limit) {
      // Cut at the time of the limit-th oldest key, so one statement never deletes an unbounded
      // backlog while the event loop waits (SQLite runs on it).
      const edge = await k.selectFrom('idempotency_keys').select('created_at').where('created_at', '<', before).orderBy('created_at').limit(1).offset(limit - 1).executeTakeFirst()
      const r = await k
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', before)
        .$if(edge !== undefined, (q) => q.where('created_at', '<=', edge!.created_at))
        .executeTakeFirst()
      return Number(r.numDeletedRows)
    },
    async getEvent(tenantId, id) {
      const row = await k.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return row ? eventFromRow(row) : null
    },
    async listEvents(tenantId, filter, page) {
      let q = k.selectFrom('events').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(page.limit)
      if (filter.type !== undefined) q = q.where('type', '=', filter.type)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(eventFromRow)
    },
  }
}

/** The writable columns of an endpoint, for the fields present. */
function endpointColumns(p: EndpointPatch): Partial<EndpointRow> {
  const c: Partial<EndpointRow> = {}
  if (p.name !== undefined) c.name = p.name
  if (p.description !== undefined) c.description = p.description
  if (p.url !== undefined) c.url = p.url
  if (p.method !== undefined) c.method = p.method
  if (p.auth !== undefined) c.auth = JSON.stringify(p.auth)
  if (p.headers !== undefined) Object.assign(c, headerColumns(p.headers))
  if (p.queryParams !== undefined) c.query_params = JSON.stringify(p.queryParams)
  if (p.payload !== undefined) c.payload = JSON.stringify(p.payload)
  if (p.enabled !== undefined) c.enabled = p.enabled ? 1 : 0
  if (p.disabledReason !== undefined) c.disabled_reason = p.disabledReason
  if (p.eventTypes !== undefined) c.event_types = JSON.stringify(p.eventTypes)
  if (p.channels !== undefined) c.channels = JSON.stringify(p.channels)
  if (p.retry !== undefined) c.retry = JSON.stringify(p.retry)
  if (p.timeoutSeconds !== undefined) c.timeout_seconds = p.timeoutSeconds
  if (p.rateLimitPerSecond !== undefined) c.rate_limit_per_second = p.rateLimitPerSecond
  if (p.metadata !== undefined) c.metadata = JSON.stringify(p.metadata)
  if (p.ordering !== undefined) c.ordering = p.ordering
  if (p.failingSince !== undefined) c.failing_since = p.failingSince
  if (p.degradedSince !== undefined) c.degraded_since = p.degradedSince
  return c
}
