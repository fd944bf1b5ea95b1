import type { Kysely } from 'kysely'
import type { Source, SourceAction, SourceRequest, SourceRequestStatus } from '../core/model.js'
import { parseJson, previousSecretColumns, SECRET_COLUMNS, sealedSecretsFromRow, type PreviousSecretColumns } from './rows.js'
import type { Database, SourceRequestRow, SourceRow } from './schema.js'
import type { SourcePatch, SourceStore } from './store.js'

// Sources' configuration and the reading of their request log: the same Kysely code on SQLite and
// PostgreSQL. Writing the log, idempotency claims and pruning differ, and live in each dialect.

export const sourceFromRow = (r: SourceRow): Source => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  enabled: !!r.enabled,
  verification: parseJson(r.verification),
  secretHint: r.secret_hint,
  eventTypePath: r.event_type_path,
  timestampPath: r.timestamp_path,
  idempotency: r.idempotency === null ? null : parseJson(r.idempotency),
  mappings: parseJson(r.mappings),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

export const requestFromRow = (r: SourceRequestRow): SourceRequest => ({
  id: r.id,
  sourceId: r.source_id,
  receivedAt: r.received_at,
  status: r.status as SourceRequestStatus,
  eventType: r.event_type,
  idempotencyKey: r.idempotency_key,
  error: r.error,
  actions: parseJson<SourceAction[]>(r.actions),
  request: { method: r.method, path: r.path, headers: parseJson(r.headers), body: Buffer.isBuffer(r.body) ? r.body.toString('utf8') : String(r.body) },
})

export function sourceColumns(p: SourcePatch): Partial<SourceRow> {
  const c: Partial<SourceRow> = {}
  if (p.name !== undefined) c.name = p.name
  if (p.enabled !== undefined) c.enabled = p.enabled ? 1 : 0
  if (p.verification !== undefined) c.verification = JSON.stringify(p.verification)
  if (p.secretHint !== undefined) c.secret_hint = p.secretHint
  if (p.eventTypePath !== undefined) c.event_type_path = p.eventTypePath
  if (p.timestampPath !== undefined) c.timestamp_path = p.timestampPath
  if (p.idempotency !== undefined) c.idempotency = p.idempotency === null ? null : JSON.stringify(p.idempotency)
  if (p.mappings !== undefined) c.mappings = JSON.stringify(p.mappings)
  return c
}

/** The dialect-agnostic part of the SourceStore. */
export type KyselySourceCrud = Omit<SourceStore, 'recordSourceRequests' | 'hasIdempotencyClaim' | 'pruneSourceRequests'>

export function createKyselySourceCrud(k: Kysely<Database>): KyselySourceCrud {
  return {
    async createSource(src, secrets) {
      await k
        .insertInto('sources')
        .values({
          id: src.id,
          tenant_id: src.tenantId,
          created_at: src.createdAt,
          updated_at: src.updatedAt,
          // Every column is present for a whole source; the helper's Partial type cannot say so.
          ...(sourceColumns(src) as Omit<SourceRow, 'id' | 'tenant_id' | 'created_at' | 'updated_at' | 'secret_sealed' | keyof PreviousSecretColumns>),
          secret_sealed: secrets?.current ?? null,
          ...previousSecretColumns(secrets?.previous ?? []),
        })
        .execute()
    },
    async getSource(tenantId, id) {
      let q = k.selectFrom('sources').selectAll().where('id', '=', id)
      if (tenantId !== null) q = q.where('tenant_id', '=', tenantId)
      const row = await q.executeTakeFirst()
      return row ? sourceFromRow(row) : null
    },
    async listSources(tenantId, page) {
      let q = k.selectFrom('sources').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(page.limit)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(sourceFromRow)
    },
    async updateSource(tenantId, id, patch, now) {
      const row = await k
        .updateTable('sources')
        .set({ ...sourceColumns(patch), updated_at: now })
        .where('id', '=', id)
        .where('tenant_id', '=', tenantId)
        .returningAll()
        .executeTakeFirst()
      return row ? sourceFromRow(row) : null
    },
    async deleteSource(tenantId, id) {
      const r = await k.deleteFrom('sources').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
      return r.numDeletedRows > 0n
    },
    async getSourceSecrets(id) {
      const r = await k
        .selectFrom('sources')
        .select(SECRET_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst()
      if (!r || r.secret_sealed === null) return null
      return sealedSecretsFromRow(r.secret_sealed, r)
    },
    async setSourceSecrets(id, s, hint, now, ifCurrent) {
      const r = await k
        .updateTable('sources')
        .set({
          secret_sealed: s?.current ?? null,
          secret_hint: hint,
          ...previousSecretColumns(s?.previous ?? []),
          updated_at: now,
        })
        .where('id', '=', id)
        .$if(ifCurrent !== undefined, (q) => q.where('secret_sealed', '=', ifCurrent!))
        .executeTakeFirst()
      return Number(r.numUpdatedRows) > 0
    },
    async listSourceRequests(sourceId, page) {
      let q = k.selectFrom('source_requests').selectAll().where('source_id', '=', sourceId).orderBy('id', 'desc').limit(page.limit)
      if (page.after !== null) q = q.where('id', '<', page.after)
      return (await q.execute()).map(requestFromRow)
    },
  }
}
