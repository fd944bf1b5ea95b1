import type BetterSqlite3 from 'better-sqlite3'
import type { SeriesRow } from '../../core/stats-series.js'
import type { DeliveryLog } from '../store.js'

type Row = { start: number; attempts: number; succeeded: number; avg: number | null; p95: number | null }

/**
 * Counts per bucket in one statement: integer division puts each attempt in its bucket (the CAST:
 * better-sqlite3 binds a JS number as a REAL, and a REAL divisor divides exactly), and the
 * 95th percentile is the nearest rank, ceil(0.95 n) computed as (95 n + 99) / 100 in integers, found
 * with row_number() over the bucket's response times, as endpointStats finds it. The scan is the
 * index attempts(endpoint_id, started_at); a tenant's series reads it once per endpoint of the tenant.
 */
const seriesSql = (scope: string): string => `
  WITH a AS (
    SELECT (started_at / CAST(@bucket AS INTEGER)) * CAST(@bucket AS INTEGER) AS start, success, duration_ms, response_status IS NOT NULL AS timed
    FROM attempts WHERE ${scope} AND started_at >= @from AND started_at < @to
  ), timed AS (
    SELECT start, duration_ms,
           row_number() OVER (PARTITION BY start ORDER BY duration_ms) AS rn,
           count(*) OVER (PARTITION BY start) AS n
    FROM a WHERE timed
  ), counts AS (
    SELECT start, count(*) AS attempts, sum(success) AS succeeded,
           avg(CASE WHEN timed THEN duration_ms END) AS avg
    FROM a GROUP BY start
  )
  SELECT c.start, c.attempts, c.succeeded, c.avg, t.duration_ms AS p95
  FROM counts c LEFT JOIN timed t ON t.start = c.start AND t.rn = (t.n * 95 + 99) / 100
  ORDER BY c.start`

export function createSqliteSeries(db: BetterSqlite3.Database): Pick<DeliveryLog, 'attemptSeries'> {
  const byEndpoint = db.prepare<{ endpoint: string; tenant: string; bucket: number; from: number; to: number }, Row>(
    seriesSql('endpoint_id = @endpoint AND tenant_id = @tenant'),
  )
  // Through the tenant's endpoints, so each is a range of the endpoint index (attempts have no index by tenant).
  const byTenant = db.prepare<{ tenant: string; bucket: number; from: number; to: number }, Row>(
    seriesSql('endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = @tenant) AND tenant_id = @tenant'),
  )
  return {
    async attemptSeries(scope, w) {
      const args = { tenant: scope.tenantId, bucket: w.bucketMs, from: w.from, to: w.to }
      const rows = scope.endpointId === undefined ? byTenant.all(args) : byEndpoint.all({ ...args, endpoint: scope.endpointId })
      return rows.map(
        (r): SeriesRow => ({
          start: r.start,
          attempts: r.attempts,
          succeeded: r.succeeded,
          failed: r.attempts - r.succeeded,
          avgResponseMs: r.avg === null ? null : Math.round(r.avg),
          p95ResponseMs: r.p95,
        }),
      )
    },
  }
}
