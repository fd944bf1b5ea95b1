// Retention: publish latency while a retention pass deletes old data (issue 12, item 11).
// Seeds BENCH_RETENTION_ROWS (default 1,000,000) old final deliveries, each with its event and one
// attempt, straight into the SQLite file (one INSERT ... SELECT per table, server stopped), then
// starts the server, whose first retention pass begins 10 s after start. A steady
// BENCH_RETENTION_RATE publishes/s run from the start in 1 s slices (the first a warm-up, not
// counted); each slice is counted as
// "before" (the pass has not begun: the old events are all there) or "during" (some are gone, some
// remain), by counting the old events through a read-only connection after each slice. The p99 of
// the publish request in the two, side by side.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { now } from '../clock.mjs'
import { runOpenLoop } from '../load.mjs'
import { publishBody } from '../payload.mjs'
import { TENANT } from '../harness.mjs'
import { round, summarize } from '../stats.mjs'
import { REPO } from '../server.mjs'
import { limitRow } from '../report.mjs'

const Database = createRequire(join(REPO, 'package.json'))('better-sqlite3')
const DAY = 24 * 3600 * 1000

// Crockford base32 as src/core/ids.ts writes it: the seeded ids have a real id's shape and time
// part (retention bounds its scan by id: see eventIdCeiling in src/store/rows.ts), then 16 digits.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const idTime = (ms) => {
  let text = ''
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) text = ALPHABET[t % 32] + text
  return text
}
const SEED_TIME = idTime(Date.now() - 40 * DAY)
const seedId = (prefix, i) => `${prefix}_${SEED_TIME}${String(i).padStart(16, '0')}`

/** Seeds `rows` events, deliveries (succeeded) and attempts created 40 days ago. */
function seed(dbPath, rows, endpointId) {
  const db = new Database(dbPath)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = OFF')
  const t = Date.now() - 40 * DAY
  db.function('seed_id', (prefix, i) => seedId(prefix, i))
  db.transaction(() => {
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO events (id, tenant_id, type, payload, channels, occurred_at, created_at, delivery_count)
      SELECT seed_id('evt', i), ?, 'bench.old', '{"n":1}', '[]', ? + i, ? + i, 1 FROM n`).run(rows, TENANT, t, t)
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, created_at, updated_at)
      SELECT seed_id('dlv', i), ?, seed_id('evt', i), ?, 'succeeded', 1, ? + i, ? + i FROM n`).run(rows, TENANT, endpointId, t, t)
    db.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO attempts (id, delivery_id, endpoint_id, tenant_id, attempt_number, trigger, started_at, duration_ms, request_method, request_url, request_headers, response_status, success)
      SELECT seed_id('att', i), seed_id('dlv', i), ?, ?, 1, 'scheduled', ? + i, 3, 'POST', 'http://127.0.0.1:9/x', '{}', 200, 1 FROM n`).run(rows, endpointId, TENANT, t)
  })()
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}

export async function retention(ctx) {
  const { cfg } = ctx
  const dataDir = ctx.dataDir('retention')
  const first = await ctx.startServer({ dataDir, role: 'all', label: 'retention-setup' })
  const api = ctx.adminApi(first.url, 16)
  await api.createTenant(TENANT)
  // Subscribed to a type nobody publishes: the measured publishes make no deliveries.
  const ep = await api.createEndpoint(TENANT, 'http://127.0.0.1:9/never', ['bench.never'])
  await first.stop()
  const t0 = now()
  seed(join(dataDir, 'hookrelay.db'), cfg.retentionRows, ep.id)
  const seedMs = now() - t0
  ctx.log(`  seeded ${cfg.retentionRows} old final deliveries in ${Math.round(seedMs)} ms`)

  const reader = new Database(join(dataDir, 'hookrelay.db'), { readonly: true })
  // The pass deletes oldest first: two point reads tell its progress without costing the server CPU
  // (a count over a million rows every second would).
  const has = reader.prepare('SELECT 1 FROM events WHERE id = ?')
  const id = (i) => seedId('evt', i)
  const remaining = () => (has.get(id(1)) ? cfg.retentionRows : has.get(id(cfg.retentionRows)) ? 1 : 0)
  const srv = await ctx.startServer({ dataDir, role: 'all', label: 'retention' })
  const pub = ctx.adminApi(srv.url, 64)
  const before = []
  const during = []
  const startedAt = now()
  let passMs = null
  let passStart = null
  let left = remaining()
  for (let slice = 0; now() - startedAt < cfg.retentionTimeoutMs && !ctx.isAborted(); slice++) {
    const r = await runOpenLoop({
      pool: pub.pool, rate: cfg.retentionRate, durationMs: 1000, expect: [202], isAborted: ctx.isAborted,
      build: () => ({ path: `/v1/tenants/${TENANT}/events`, headers: pub.authHeaders, body: publishBody('bench.publish') }),
    })
    const ms = r.results.filter((x) => x?.ok).map((x) => x.doneAt - x.sentAt)
    const now1 = remaining()
    // The first slice is a warm-up (first connections, JIT, the first reads of a cold database).
    if (slice === 0) {
      left = now1
      continue
    }
    if (now1 === cfg.retentionRows) before.push(...ms)
    else if (left > 0) {
      during.push(...ms)
      passStart ??= now() - 1000
    }
    left = now1
    if (left === 0) {
      passMs = now() - passStart
      break
    }
  }
  reader.close()
  const stop = await srv.stop()
  const b = summarize(before)
  const d = summarize(during)
  const notes = [
    `${cfg.retentionRows} old final deliveries (+ events, attempts) seeded in ${round(seedMs / 1000, 1)} s`,
    passMs === null ? `pass not finished within ${cfg.retentionTimeoutMs / 1000} s` : `pass took about ${round(passMs / 1000, 1)} s`,
    `${cfg.retentionRate} publishes/s; p50 ${b.p50} ms before, ${d.p50} ms during; ${b.count} and ${d.count} publishes`,
  ]
  return {
    value: d.p99,
    details: { rows: cfg.retentionRows, seedMs: round(seedMs), passMs: passMs === null ? null : round(passMs), before: b, during: d, serverStop: stop, serverLog: srv.problems() },
    rows: [
      limitRow({ scenario: 'publish p99 before the retention pass', value: b.p99, unit: 'ms', target: 25, note: notes[0] }),
      limitRow({ scenario: 'publish p99 during the retention pass', value: d.p99, unit: 'ms', target: 25, note: notes.slice(1).join('; '), forceFail: passMs === null }),
    ],
  }
}
