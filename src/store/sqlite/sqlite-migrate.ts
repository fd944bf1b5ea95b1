import type BetterSqlite3 from 'better-sqlite3'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))

/** Applies the numbered .sql files not yet applied, each in its own transaction. Returns their names. */
export function migrateSqlite(db: BetterSqlite3.Database): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  const done = new Set(db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[])
  const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()
  const applied: string[] = []
  for (const file of files) {
    if (done.has(file)) continue
    const sql = readFileSync(migrationsDir + file, 'utf8')
    db.transaction(() => {
      db.exec(sql)
      db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)').run(file, Date.now())
    }).immediate()
    applied.push(file)
  }
  return applied
}
