/**
 * Runs one SQL statement on a test server's own database, behind its back: for states the API
 * cannot make on demand (a portal session past its expiry, attempts of an hour ago). `?` marks the
 * parameters on both stores.
 */
import BetterSqlite3 from 'better-sqlite3'
import { join } from 'node:path'
import pg from 'pg'
import type { TestServer } from './server.js'

export async function rawSql(srv: Pick<TestServer, 'dataDir' | 'databaseUrl'>, text: string, params: unknown[] = []): Promise<void> {
  if (srv.databaseUrl !== null) {
    let n = 0
    const client = new pg.Client({ connectionString: srv.databaseUrl })
    await client.connect()
    try {
      await client.query(text.replace(/\?/g, () => `$${++n}`), params)
    } finally {
      await client.end()
    }
    return
  }
  const db = new BetterSqlite3(join(srv.dataDir, 'hookrelay.db'))
  try {
    db.pragma('busy_timeout = 5000')
    db.prepare(text).run(...params)
  } finally {
    db.close()
  }
}

/** Reads rows with one SQL statement from a test server's own database, behind its back (`?` parameters). */
export async function rawRows<T = Record<string, unknown>>(srv: Pick<TestServer, 'dataDir' | 'databaseUrl'>, text: string, params: unknown[] = []): Promise<T[]> {
  if (srv.databaseUrl !== null) {
    let n = 0
    const client = new pg.Client({ connectionString: srv.databaseUrl })
    await client.connect()
    try {
      return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows as T[]
    } finally {
      await client.end()
    }
  }
  const db = new BetterSqlite3(join(srv.dataDir, 'hookrelay.db'), { readonly: true })
  try {
    db.pragma('busy_timeout = 5000')
    return db.prepare(text).all(...params) as T[]
  } finally {
    db.close()
  }
}
