/**
 * `hookrelay migrate --database-url postgres://...` (issue 5, README "migrate"): the real CLI as a
 * child process, on a database made for the test. The child's environment carries no HOOKRELAY_*
 * but what is given here, so the URL reaches it only through the flag. Several processes started
 * at once on one fresh database must all succeed: the advisory lock lets one migrate while the
 * others wait, then find nothing to do. Runs only in the PostgreSQL pass of `npm test` (the
 * .postgres.test.ts suffix; see vitest.config.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { killAllChildren, REPO_ROOT, runCli, spawnServer } from '../helpers/child-server.js'
import { databaseFor, forgetDatabase } from '../helpers/postgres.js'

const MIGRATIONS = join(REPO_ROOT, 'src/store/postgres/migrations')
const files = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()
/** Every table the migration files create, and the ledger of applied files. */
const tables = [
  'schema_migrations',
  ...files.flatMap((f) => [...readFileSync(join(MIGRATIONS, f), 'utf8').matchAll(/^CREATE TABLE (\w+)/gm)].map((m) => m[1]!)),
].sort()

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  await killAllChildren()
  for (const c of cleanups.splice(0).reverse()) await c()
})

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-migrate-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A fresh, empty database, dropped after the test. Keyed by `dir`, so spawnServer on `dir` gets this one. */
async function freshDatabase(dir: string): Promise<string> {
  const { url } = await databaseFor(dir)
  cleanups.push(() => forgetDatabase(dir))
  return url
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text)).rows
  } finally {
    await client.end()
  }
}

/**
 * A TCP relay to the database's server that holds the first `n` connections until all `n` have
 * arrived, then lets them through together, and later ones at once. The processes each open one
 * connection first (to migrate), so with this they reach PostgreSQL at the same moment, not merely
 * start together: without the advisory lock they would then collide every time, not only when
 * their start-up times happen to line up. Gives up holding after `holdMs`. Returns the URL via it.
 */
async function startingGate(url: string, n: number, holdMs = 60_000): Promise<string> {
  const target = new URL(url)
  const sockets = new Set<Socket>()
  let held: Socket[] | null = []
  const pass = (client: Socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    sockets.add(upstream)
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) s.on('error', end).on('close', end)
    // What the client sent while held waits in its socket's buffer, and goes first.
    client.pipe(upstream).pipe(client)
  }
  const release = () => {
    const all = held ?? []
    held = null
    all.forEach(pass)
  }
  const server = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (held === null) return pass(client)
    held.push(client)
    if (held.length >= n) release()
  })
  const timer = setTimeout(release, holdMs)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(async () => {
    clearTimeout(timer)
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  })
  const via = new URL(url)
  via.hostname = '127.0.0.1'
  via.port = String((server.address() as AddressInfo).port)
  return via.toString()
}

const publicTables = async (url: string) =>
  (await query<{ t: string }>(url, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).map((r) => r.t).sort()
const ledger = (url: string) => query<{ name: string; applied_at: string }>(url, 'SELECT name, applied_at::text AS applied_at FROM schema_migrations ORDER BY name')

describe('hookrelay migrate on PostgreSQL', () => {
  it('creates the schema on a fresh database, and a second run changes nothing', { timeout: 60_000 }, async () => {
    const dataDir = newDir()
    const url = await freshDatabase(dataDir)
    expect(await publicTables(url)).toEqual([])

    const first = await runCli(['migrate', '--database-url', url, '--data-dir', dataDir])
    expect(first.code, first.stderr.join('\n')).toBe(0)
    expect(first.stdout).toContain('hookrelay: migrations applied')
    expect(await publicTables(url)).toEqual(tables)
    const applied = await ledger(url)
    expect(applied.map((r) => r.name)).toEqual(files)
    // PostgreSQL was migrated, not SQLite in the data directory.
    expect(readdirSync(dataDir)).toEqual([])

    const second = await runCli(['migrate', '--database-url', url, '--data-dir', dataDir])
    expect(second.code, second.stderr.join('\n')).toBe(0)
    expect(await ledger(url)).toEqual(applied)
    expect(await publicTables(url)).toEqual(tables)
  })

  it('migrate and serve processes started at the same moment on one fresh database all succeed, each file applied once', { timeout: 120_000 }, async () => {
    const dataDir = newDir()
    const url = await freshDatabase(dataDir)
    const roles = ['api', 'worker', 'all'] as const
    const gate = await startingGate(url, 3 + roles.length)
    const migrates = Array.from({ length: 3 }, () => runCli(['migrate', '--database-url', gate, '--data-dir', newDir()], {}, 90_000))
    const servers = roles.map((role) => spawnServer({ dataDir, args: ['--database-url', gate, '--role', role], readyTimeoutMs: 90_000 }))
    const [ran, started] = await Promise.all([Promise.all(migrates), Promise.allSettled(servers)])
    for (const r of ran) expect(r.code, r.stderr.join('\n')).toBe(0)
    for (const s of started) expect(s.status, s.status === 'rejected' ? String(s.reason) : '').toBe('fulfilled')

    expect((await ledger(url)).map((r) => r.name)).toEqual(files)
    expect(await publicTables(url)).toEqual(tables)
    // Every node is serving, and stops cleanly.
    const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    for (const n of nodes) expect((await fetch(`${n.url}/healthz`)).status).toBe(200)
    for (const n of nodes) n.kill('SIGTERM')
    for (const n of nodes) expect((await n.exited).code, n.stderr.join('\n')).toBe(0)
  })
})
