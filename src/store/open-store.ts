import type { Config } from '../config.js'
import { openSqliteStore } from './sqlite/sqlite-store.js'
import type { Store } from './store.js'

/**
 * The store a config asks for: PostgreSQL for a postgres:// URL, SQLite in the data directory
 * otherwise. Async because opening PostgreSQL connects and migrates over the network.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'sqliteSynchronous' | 'databasePoolSize'>): Promise<Store> {
  if (config.databaseUrl !== null && /^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    // Loaded only for PostgreSQL: evaluating pg (which builds a fetch Response to see whether it
    // runs on Cloudflare) cost every SQLite start about 30 ms.
    const { openPostgresStore } = await import('./postgres/postgres-store.js')
    return openPostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize })
  }
  if (config.databaseUrl !== null && !config.databaseUrl.startsWith('sqlite:')) {
    throw new Error(`Unsupported --database-url "${config.databaseUrl}": use postgres://... or leave it out for SQLite.`)
  }
  const dataDir = config.databaseUrl?.startsWith('sqlite:') ? config.databaseUrl.slice('sqlite:'.length) : config.dataDir
  return openSqliteStore({ dataDir, synchronous: config.sqliteSynchronous })
}
