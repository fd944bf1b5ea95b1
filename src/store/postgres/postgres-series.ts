import { sql, type Kysely } from 'kysely'
import type { SeriesRow } from '../../core/stats-series.js'
import type { Database } from '../schema.js'
import type { DeliveryLog } from '../store.js'

type Row = { start: number; attempts: number; succeeded: number; avg: number | null; p95: number | null }

/**
 * Counts per bucket in one statement. percentile_disc(0.95) is the first response time whose
 * cumulative share reaches 95 %: the nearest rank ceil(0.95 n), as endpointStats and SQLite take it.
 * The scan is the index attempts(endpoint_id, started_at); a tenant's series reads it once per
 * endpoint of the tenant.
 */
export function createPostgresSeries(k: Kysely<Database>): Pick<DeliveryLog, 'attemptSeries'> {
  return {
    async attemptSeries(scope, w) {
      const which =
        scope.endpointId === undefined
          ? sql`endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ${scope.tenantId})`
          : sql`endpoint_id = ${scope.endpointId}`
      // bigint / bigint truncates, as SQLite's integer division does (started_at is never negative).
      const bucket = sql`(started_at / ${w.bucketMs}::bigint) * ${w.bucketMs}::bigint`
      const { rows } = await sql<Row>`
        SELECT ${bucket} AS start, count(*)::int AS attempts, count(*) FILTER (WHERE success = 1)::int AS succeeded,
               avg(duration_ms) FILTER (WHERE response_status IS NOT NULL) AS avg,
               percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms) FILTER (WHERE response_status IS NOT NULL) AS p95
        FROM attempts
        WHERE ${which} AND tenant_id = ${scope.tenantId} AND started_at >= ${w.from} AND started_at < ${w.to}
        GROUP BY 1 ORDER BY 1`.execute(k)
      return rows.map(
        (r): SeriesRow => ({
          start: Number(r.start),
          attempts: r.attempts,
          succeeded: r.succeeded,
          failed: r.attempts - r.succeeded,
          avgResponseMs: r.avg === null ? null : Math.round(Number(r.avg)),
          p95ResponseMs: r.p95 === null ? null : Number(r.p95),
        }),
      )
    },
  }
}
