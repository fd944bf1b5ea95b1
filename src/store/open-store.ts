import type { Config } from '../config.js'
import { openSqliteStore } from './sqlite/sqlite-store.js'
import type { Store } from './store.js'

/**
 * The store a config asks for: PostgreSQL at its database URL (loadConfig let only postgres:// and
 * postgresql:// through), SQLite in the data directory without one. Async because opening
 * PostgreSQL connects and migrates over the network.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'sqliteSynchronous' | 'databasePoolSize'>): Promise<Store> {
  if (config.databaseUrl !== null) {
    // Loaded only for PostgreSQL: evaluating pg (which builds a fetch Response to see whether it
    // runs on Cloudflare) cost every SQLite start about 30 ms.
    const { openPostgresStore } = await import('./postgres/postgres-store.js')
    return openPostgresStore({ url: config.databaseUrl, poolSize: config.databasePoolSize })
  }
  return openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous })
}
