/**
 * Starts the real server in this process on 127.0.0.1:0 with a fresh store, and gives tests a
 * small JSON client for it. The store is SQLite in a fresh data directory, or, with
 * HOOKRELAY_TEST_STORE=postgres (the second pass of `npm test`), a fresh PostgreSQL database.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultConfig, type Config } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/main.js'
import { databaseFor, forgetDatabase } from './postgres.js'

/** Which store the integration tests run on: `sqlite` (default) or `postgres`. */
export const TEST_STORE = process.env.HOOKRELAY_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite'

export const ADMIN_TOKEN = 'test-admin-token'

export interface TestServer {
  url: string
  dataDir: string
  /** The PostgreSQL database, when the tests run on PostgreSQL; null on SQLite. */
  databaseUrl: string | null
  server: RunningServer
  /** Calls the API as the admin unless `token` is given; the body is parsed JSON (or text). */
  api<T = any>(method: string, path: string, body?: unknown, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>
  close(): Promise<void>
}

export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'hookrelay-test-'))
  const config: Config = {
    ...defaultConfig,
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminToken: ADMIN_TOKEN,
    // Receivers in tests listen on loopback, which the SSRF guard refuses unless allowed.
    allowedNetworks: ['127.0.0.0/8', '::1/128'],
    logLevel: 'silent',
    sqliteSynchronous: 'NORMAL',
    ...(TEST_STORE === 'postgres' && overrides.databaseUrl === undefined ? { databaseUrl: (await databaseFor(dataDir)).url } : {}),
    ...overrides,
  }
  const server = await startServer(config)
  return {
    url: server.url,
    dataDir,
    databaseUrl: config.databaseUrl,
    server,
    async api(method, path, body, opts = {}) {
      const token = opts.token === undefined ? ADMIN_TOKEN : opts.token
      const headers: Record<string, string> = { ...opts.headers }
      if (token !== null) headers.authorization = `Bearer ${token}`
      let payload: string | undefined
      if (body !== undefined) {
        headers['content-type'] ??= 'application/json'
        payload = typeof body === 'string' ? body : JSON.stringify(body)
      }
      const res = await fetch(server.url + path, { method, headers, body: payload })
      // A stream (server-sent events) that opened does not end: its status and headers are the answer.
      if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
        await res.body?.cancel()
        return { status: res.status, body: null, headers: res.headers }
      }
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text === '' ? null : JSON.parse(text)
      } catch {
        // not JSON (e.g. /metrics)
      }
      return { status: res.status, body: parsed as any, headers: res.headers }
    },
    async close() {
      await server.close()
      if (overrides.dataDir === undefined) {
        rmSync(dataDir, { recursive: true, force: true })
        await forgetDatabase(dataDir)
      }
    },
  }
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 5000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
