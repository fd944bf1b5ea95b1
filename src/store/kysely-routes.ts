import type { Kysely } from 'kysely'
import type { Route } from '../core/model.js'
import type { Database, RouteRow } from './schema.js'
import type { RoutePatch, RouteStore } from './store.js'

// Gateway routes: plain CRUD, the same Kysely code on SQLite and PostgreSQL.

const routeFromRow = (r: RouteRow): Route => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  upstreamUrl: r.upstream_url,
  timeoutSeconds: r.timeout_seconds,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

function routeColumns(p: RoutePatch): Partial<RouteRow> {
  const c: Partial<RouteRow> = {}
  if (p.name !== undefined) c.name = p.name
  if (p.upstreamUrl !== undefined) c.upstream_url = p.upstreamUrl
  if (p.timeoutSeconds !== undefined) c.timeout_seconds = p.timeoutSeconds
  return c
}

export function createKyselyRoutes(k: Kysely<Database>, isUniqueViolation: (err: unknown) => boolean): RouteStore {
  return {
    async createRoute(r) {
      try {
        await k
          .insertInto('routes')
          .values({
            id: r.id,
            tenant_id: r.tenantId,
            name: r.name,
            upstream_url: r.upstreamUrl,
            timeout_seconds: r.timeoutSeconds,
            created_at: r.createdAt,
            updated_at: r.updatedAt,
          })
          .execute()
        return true
      } catch (err) {
        if (isUniqueViolation(err)) return false
        throw err
      }
    },
    async getRoute(tenantId, id) {
      const row = await k.selectFrom('routes').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return row ? routeFromRow(row) : null
    },
    async getRouteByName(tenantId, name) {
      const row = await k.selectFrom('routes').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst()
      return row ? routeFromRow(row) : null
    },
    async listRoutes(tenantId, page) {
      let q = k.selectFrom('routes').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(page.limit)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(routeFromRow)
    },
    async updateRoute(tenantId, id, patch, now) {
      try {
        const row = await k
          .updateTable('routes')
          .set({ ...routeColumns(patch), updated_at: now })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst()
        return row ? routeFromRow(row) : null
      } catch (err) {
        if (isUniqueViolation(err)) return { nameTaken: true }
        throw err
      }
    },
    async deleteRoute(tenantId, id) {
      const r = await k.deleteFrom('routes').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return r.numDeletedRows > 0n
    },
  }
}
