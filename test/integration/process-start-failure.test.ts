/**
 * API.md, "Limits on bad input": a failed start (port in use, database unreachable, a bad setting)
 * prints one line naming the cause and exits 1, and never leaves a data directory whose admin token
 * was not shown: the next good start prints one. And `hookrelay admin-token reset` (API.md, CLI).
 * Loopback only: the unreachable database is 127.0.0.1:1.
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, runCli, spawnServer } from '../helpers/child-server.js'
import { eventually } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

afterEach(() => killAllChildren())
const tempDir = useTempDirs('start')
/** A generated token (no HOOKRELAY_ADMIN_TOKEN), on SQLite on either test pass: the data directory is under test. */
const env = { HOOKRELAY_ADMIN_TOKEN: undefined, HOOKRELAY_DATABASE_URL: undefined }
const tokenIn = (lines: string[]): string | null => /(hr_admin_[A-Za-z0-9_-]+)/.exec(lines.join('\n'))?.[1] ?? null

/** The next good start on `dataDir` prints an admin token that works. */
async function nextStartPrintsToken(dataDir: string): Promise<void> {
  const server = await spawnServer({ dataDir, env })
  const token = tokenIn(server.stdout)
  expect(token, server.stdout.join('\n')).not.toBeNull()
  expect((await childApi(server.url, token!)('GET', '/v1/tenants')).status).toBe(200)
  server.kill('SIGTERM')
  expect((await server.exited).code).toBe(0)
}

describe('a failed start', () => {
  it('with the port in use: one line, exit 1, and the next start prints the admin token', { timeout: 90_000 }, async () => {
    const taken: Server = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as { port: number }).port
    const dataDir = join(tempDir('port'), 'data')
    try {
      const run = await runCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], env)
      expect(run.code).toBe(1)
      expect(run.stderr).toEqual([`hookrelay: cannot listen on 127.0.0.1:${port} (--host, --port): the port is in use`])
      expect(tokenIn(run.stdout)).toBeNull()
    } finally {
      await new Promise((r) => taken.close(r))
    }
    await nextStartPrintsToken(dataDir)
  })

  it('with the database unreachable: one line naming it, exit 1, no data directory', { timeout: 60_000 }, async () => {
    const dataDir = join(tempDir('db'), 'data')
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--database-url', 'postgres://hr:s3cret@127.0.0.1:1/x'], { HOOKRELAY_ADMIN_TOKEN: undefined })
    expect(run.code).toBe(1)
    expect(run.stderr).toHaveLength(1)
    expect(run.stderr[0]).toMatch(/^hookrelay: cannot open the PostgreSQL database at 127\.0\.0\.1:1\/x: .*ECONNREFUSED/)
    expect(run.stderr[0]).not.toContain('s3cret')
    expect(tokenIn(run.stdout)).toBeNull()
    expect(existsSync(dataDir)).toBe(false)
  })

  it.each([
    ['HOOKRELAY_RETENTION=forever', { HOOKRELAY_RETENTION: 'forever' }, /^hookrelay: HOOKRELAY_RETENTION must be seconds or an ISO 8601 duration/],
    ['HOOKRELAY_ENCRYPTION_KEY=short', { HOOKRELAY_ENCRYPTION_KEY: 'short' }, /^hookrelay: HOOKRELAY_ENCRYPTION_KEY: /],
    ['HOOKRELAY_PORT=http', { HOOKRELAY_PORT: 'http' }, /^hookrelay: --port must be a whole number/],
  ])('with a bad setting (%s): one line, exit 1, no data directory; then a good start prints the token', { timeout: 60_000 }, async (_what, bad, line) => {
    const dataDir = join(tempDir('setting'), 'data')
    const run = await runCli(['serve', '--data-dir', dataDir], { ...env, ...bad })
    expect(run.code).toBe(1)
    expect(run.stderr).toHaveLength(1)
    expect(run.stderr[0]).toMatch(line)
    expect(existsSync(dataDir)).toBe(false)
    await nextStartPrintsToken(dataDir)
  })
})

describe('hookrelay admin-token reset', () => {
  it('prints a new admin token; the old one stops working on the running server and after a restart', { timeout: 90_000 }, async () => {
    const dataDir = tempDir('reset')
    const server = await spawnServer({ dataDir, env })
    const old = tokenIn(server.stdout)!
    expect((await childApi(server.url, old)('GET', '/v1/tenants')).status).toBe(200)

    const run = await runCli(['admin-token', 'reset', '--data-dir', dataDir], env)
    expect(run.code).toBe(0)
    expect(run.stdout).toHaveLength(1)
    const fresh = tokenIn(run.stdout)
    expect(fresh).not.toBeNull()
    expect(fresh).not.toBe(old)

    // The running server reads the stored hash again within 10 s (services/access.ts).
    await eventually(async () => ((await childApi(server.url, old)('GET', '/v1/tenants')).status === 401 ? true : undefined), 20_000)
    expect((await childApi(server.url, fresh!)('GET', '/v1/tenants')).status).toBe(200)
    server.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)

    const again = await spawnServer({ dataDir, env })
    expect(tokenIn(again.stdout)).toBeNull()
    expect((await childApi(again.url, fresh!)('GET', '/v1/tenants')).status).toBe(200)
    expect((await childApi(again.url, old)('GET', '/v1/tenants')).status).toBe(401)
  })
})
