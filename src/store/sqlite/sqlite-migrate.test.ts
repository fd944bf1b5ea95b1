import BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { createIdGenerator } from '../../core/ids.js'
import { DEFAULT_PAYLOAD } from '../../core/shaping/payload-body.js'
import { openSqliteStore } from './sqlite-store.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

it('an endpoint saved before request shaping existed reads back with its defaults', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-migrate-'))
  dirs.push(dir)
  // A database as version 0001 left it, with one endpoint.
  const db = new BetterSqlite3(join(dir, 'hookrelay.db'))
  db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  db.exec(readFileSync(new URL('./migrations/0001_init.sql', import.meta.url), 'utf8'))
  db.prepare("INSERT INTO schema_migrations VALUES ('0001_init.sql', 0)").run()
  db.prepare("INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 'T', 0, 0)").run()
  db.prepare(
    "INSERT INTO endpoints (id, tenant_id, url, retry, secret_sealed, created_at, updated_at) VALUES ('ep_old', 't', 'http://127.0.0.1:1/x', '{\"enabled\":true,\"maxRetries\":3,\"schedule\":null}', 'sealed', 0, 0)",
  ).run()
  db.close()

  const store = openSqliteStore({ dataDir: dir })
  try {
    expect(await store.getEndpoint('t', 'ep_old')).toMatchObject({
      url: 'http://127.0.0.1:1/x',
      method: 'POST',
      auth: { type: 'none' },
      headers: {},
      queryParams: {},
      payload: DEFAULT_PAYLOAD,
    })
  } finally {
    await store.close()
  }
})

it('carries an unexpired previous secret into the list, and reads back one a previous release rotated out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-migrate-'))
  dirs.push(dir)
  // A database as 0004 left it: one endpoint and one source rotated less than 24 hours ago, one
  // endpoint whose previous secret has expired.
  const db = new BetterSqlite3(join(dir, 'hookrelay.db'))
  db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  for (const file of ['0001_init.sql', '0002_request_shaping.sql', '0003_sources.sql', '0004_routes.sql']) {
    db.exec(readFileSync(new URL(`./migrations/${file}`, import.meta.url), 'utf8'))
    db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(file)
  }
  const later = Date.now() + 3_600_000
  db.prepare("INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 'T', 0, 0)").run()
  const endpoint = db.prepare(
    "INSERT INTO endpoints (id, tenant_id, url, retry, secret_sealed, previous_secret_sealed, previous_expires_at, created_at, updated_at) VALUES (?, 't', 'http://127.0.0.1:1/x', '{}', ?, ?, ?, 0, 0)",
  )
  endpoint.run('ep_rotated', 'sealed-now', 'sealed-before', later)
  endpoint.run('ep_expired', 'sealed-now', 'sealed-long-ago', Date.now() - 1000)
  endpoint.run('ep_never', 'sealed-now', null, null)
  db.prepare(
    "INSERT INTO sources (id, tenant_id, verification, secret_sealed, previous_secret_sealed, previous_expires_at, created_at, updated_at) VALUES ('src_rotated', 't', '{\"type\":\"hmac\"}', 'sealed-2', 'sealed-1', ?, 0, 0)",
  ).run(later)
  db.close()

  const store = openSqliteStore({ dataDir: dir })
  try {
    expect(await store.getSecrets('ep_rotated')).toEqual({ current: 'sealed-now', previous: [{ sealed: 'sealed-before', expiresAt: later }] })
    expect(await store.getSecrets('ep_expired')).toEqual({ current: 'sealed-now', previous: [] })
    expect(await store.getSecrets('ep_never')).toEqual({ current: 'sealed-now', previous: [] })
    expect(await store.getSourceSecrets('src_rotated')).toEqual({ current: 'sealed-2', previous: [{ sealed: 'sealed-1', expiresAt: later }] })
  } finally {
    await store.close()
  }

  // A node of the previous release rotates by writing only the single-secret columns.
  const old = new BetterSqlite3(join(dir, 'hookrelay.db'))
  old.prepare("UPDATE endpoints SET secret_sealed = 'sealed-next', previous_secret_sealed = 'sealed-now', previous_expires_at = ? WHERE id = 'ep_rotated'").run(later + 1)
  old.close()
  const reopened = openSqliteStore({ dataDir: dir })
  try {
    expect(await reopened.getSecrets('ep_rotated')).toEqual({
      current: 'sealed-next',
      previous: [
        { sealed: 'sealed-now', expiresAt: later + 1 },
        { sealed: 'sealed-before', expiresAt: later },
      ],
    })
  } finally {
    await reopened.close()
  }
})

it('0013 drops the index on events.created_at and keeps every row; retention still finds the old ones', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-migrate-'))
  dirs.push(dir)
  // A database as 0012 left it, with old and recent events, a delivery and its attempt.
  const db = new BetterSqlite3(join(dir, 'hookrelay.db'))
  db.exec('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  const files = readdirSync(fileURLToPath(new URL('./migrations/', import.meta.url))).filter((f) => f.endsWith('.sql') && f < '0013').sort()
  for (const file of files) {
    db.exec(readFileSync(new URL(`./migrations/${file}`, import.meta.url), 'utf8'))
    db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(file)
  }
  expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events_created'").get()).toBeDefined()
  const DAY = 86_400_000
  const now = Date.now()
  const ids = createIdGenerator()
  db.prepare("INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 'T', 0, 0)").run()
  db.prepare("INSERT INTO endpoints (id, tenant_id, url, retry, secret_sealed, created_at, updated_at) VALUES ('ep_1', 't', 'http://127.0.0.1:1/x', '{}', 'sealed', 0, 0)").run()
  const event = db.prepare("INSERT INTO events (id, tenant_id, type, payload, created_at, occurred_at, delivery_count) VALUES (?, 't', 'a.b', '{}', ?, ?, ?)")
  const old = Array.from({ length: 3 }, (_, i) => ids('evt', now - 40 * DAY + i))
  for (const [i, id] of old.entries()) event.run(id, now - 40 * DAY + i, now - 40 * DAY + i, 0)
  const recent = ids('evt', now - DAY)
  event.run(recent, now - DAY, now - DAY, 1)
  const dlv = ids('dlv', now - DAY)
  db.prepare("INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, status, attempt_count, created_at, updated_at) VALUES (?, 't', ?, 'ep_1', 'succeeded', 1, ?, ?)").run(dlv, recent, now - DAY, now - DAY)
  db.prepare(
    "INSERT INTO attempts (id, delivery_id, endpoint_id, tenant_id, attempt_number, trigger, started_at, duration_ms, request_method, request_url, request_headers, response_status, success) VALUES (?, ?, 'ep_1', 't', 1, 'scheduled', ?, 3, 'POST', 'http://127.0.0.1:1/x', '{}', 204, 1)",
  ).run(ids('att', now - DAY), dlv, now - DAY)
  db.close()

  const store = openSqliteStore({ dataDir: dir })
  try {
    for (const id of [...old, recent]) expect(await store.getEvent('t', id)).not.toBeNull()
    expect(await store.listAttempts(dlv)).toHaveLength(1)
    expect(await store.pruneFinalEvents(now - 30 * DAY, 2)).toBe(2)
    expect(await store.pruneFinalEvents(now - 30 * DAY, 2)).toBe(1)
    for (const id of old) expect(await store.getEvent('t', id)).toBeNull()
    expect(await store.getEvent('t', recent)).not.toBeNull()
  } finally {
    await store.close()
  }
  const after = new BetterSqlite3(join(dir, 'hookrelay.db'), { readonly: true })
  try {
    expect(after.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events_created'").get()).toBeUndefined()
    expect(after.prepare("SELECT 1 FROM schema_migrations WHERE name = '0013_retention_by_id.sql'").get()).toBeDefined()
  } finally {
    after.close()
  }
})
