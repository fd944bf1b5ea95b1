// A PostgreSQL database for one scenario: created on the local server (BENCH_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres) and dropped when the scenario cleans up.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

export async function benchDatabase(ctx, name) {
  const db = `hookrelay_bench_${name}_${randomBytes(4).toString('hex')}`
  await admin(`CREATE DATABASE ${db}`)
  ctx.onCleanup(() => admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`))
  const url = new URL(ADMIN_URL)
  url.pathname = `/${db}`
  return url.toString()
}
