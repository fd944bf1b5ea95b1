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
