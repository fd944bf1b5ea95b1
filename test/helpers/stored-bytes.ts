import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { TestServer } from './server.js'

/**
 * Everything a test server's store holds, as bytes to search: for tests that a secret never
 * reaches the database in the clear. SQLite: the database file and its WAL. PostgreSQL: every row
 * of every table of the test database, as text.
 */
export async function storedBytes(srv: TestServer): Promise<Buffer> {
  if (srv.databaseUrl === null) {
    const files = readdirSync(srv.dataDir).filter((f) => f.startsWith('hookrelay.db'))
    if (!files.includes('hookrelay.db')) throw new Error(`no SQLite database in ${srv.dataDir}`)
    return Buffer.concat(files.map((f) => readFileSync(join(srv.dataDir, f))))
  }
  const client = new pg.Client({ connectionString: srv.databaseUrl })
  await client.connect()
  try {
    const tables = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
    const parts: string[] = []
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`)
      for (const r of rows.rows) parts.push(r.row)
    }
    return Buffer.from(parts.join('\n'))
  } finally {
    await client.end()
  }
}
