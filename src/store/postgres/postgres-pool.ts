import pg from 'pg'

/** pg's type ids (`SELECT oid FROM pg_type WHERE typname = ...`) whose text the pool parses itself. */
const INT8 = 20
const NUMERIC = 1700

/**
 * The shared row types (schema.ts) hold numbers where pg would return strings: epoch-millisecond
 * times and `seq` are int8, count() is int8, avg() is numeric. Every int8 here fits a double
 * (2^53 ms is some 285,000 years after 1970), so they are parsed to numbers, per pool (the
 * `types` option) so that pg's global parsers stay as other code in the process may expect them.
 */
const parseNumber = (text: string): number => Number(text)
const types: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8 || oid === NUMERIC ? parseNumber : (pg.types.getTypeParser(oid, format) as unknown),
}

export interface PostgresPoolOptions {
  /** postgres://user:password@host:port/database */
  url: string
  /** Connections at most. Default 10. */
  poolSize?: number
  /**
   * Commit without waiting for the WAL flush (`synchronous_commit = off` for the session): for
   * writes whose loss in a PostgreSQL crash costs a repeated delivery, never an accepted event.
   */
  relaxedCommits?: boolean
  /** Shown in pg_stat_activity, so an operator sees which pool a session belongs to. Default `hookrelay`. */
  applicationName?: string
}

/** A pg Pool for one store: its own type parsers, and errors of idle connections kept from crashing the process. */
export function createPostgresPool(opts: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    types,
    application_name: opts.applicationName ?? 'hookrelay',
    ...(opts.relaxedCommits ? { options: '-c synchronous_commit=off' } : {}),
  })
  // An idle connection that the server drops (a restart, a failover) is removed from the pool and
  // the next query opens a new one; without a listener the 'error' event would end the process.
  pool.on('error', () => {})
  return pool
}
