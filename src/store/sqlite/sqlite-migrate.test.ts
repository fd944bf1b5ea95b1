import BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
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
