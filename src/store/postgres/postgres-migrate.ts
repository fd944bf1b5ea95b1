import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'

// From the sources the files are in ./migrations beside this module. In the dist bundle every
// module shares dist/'s import.meta.url, and ./migrations there is SQLite's, so the build copies
// these to dist/postgres-migrations.
const bundled = new URL('./postgres-migrations/', import.meta.url)
const migrationsDir = fileURLToPath(existsSync(bundled) ? bundled : new URL('./migrations/', import.meta.url))

/**
 * The advisory lock every node takes while it migrates: the ASCII of "hookrela" as a big-endian
 * int64. Fixed, so that all versions of Hookrelay on one database contend for the same lock.
 */
export const MIGRATION_LOCK_KEY = '7525356009630821473'

/**
 * Applies the numbered .sql files not yet applied, each in its own transaction, and records them in
 * schema_migrations. Several nodes may start at once: all of it runs under a session advisory
 * lock, so the second waits for the first and then finds nothing to do. Returns the files applied.
 */
export async function migratePostgres(pool: pg.Pool): Promise<string[]> {
  const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()
  const client = await pool.connect()
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`)
    // Under the lock too: two nodes creating this table at once would collide in the catalog.
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)')
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name))
    const applied: string[] = []
    for (const file of files) {
      if (done.has(file)) continue
      await client.query('BEGIN')
      // A file holds many statements: sent without parameters, pg runs it as one simple query.
      await client.query(readFileSync(migrationsDir + file, 'utf8'))
      await client.query('INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)', [file, Date.now()])
      await client.query('COMMIT')
      applied.push(file)
    }
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`)
    client.release()
    return applied
  } catch (err) {
    // The connection is closed instead of pooled: ending the session rolls back a failed file's
    // transaction and releases the advisory lock, whatever state the failure left it in.
    client.release(true)
    throw err
  }
}
