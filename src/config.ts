import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { createSecureContext } from 'node:tls'
import { parseDuration } from './core/duration.js'
import { parseCidr } from './core/address-class.js'
import { parseEncryptionKey } from './core/secret-box.js'
import type { RetrySettings } from './core/model.js'
import { parseRetrySettings } from './core/retry-settings.js'

export type Role = 'api' | 'worker' | 'all'

/** Every setting of the server, with its flag, environment variable and default. */
export interface Config {
  /** `--port` / HOOKRELAY_PORT. Default 8080; 0 picks a free port. */
  port: number
  /** `--host` / HOOKRELAY_HOST. Default 127.0.0.1. */
  host: string
  /** `--data-dir` / HOOKRELAY_DATA_DIR: the SQLite database and the generated key file. Default ./.hookrelay */
  dataDir: string
  /** `--database-url` / HOOKRELAY_DATABASE_URL: a postgres:// or postgresql:// URL (nothing else), which selects PostgreSQL. Default none (SQLite in dataDir). */
  databaseUrl: string | null
  /** HOOKRELAY_ADMIN_TOKEN. Default: generated on first start, its hash stored, printed once. */
  adminToken: string | null
  /** HOOKRELAY_ALLOWED_NETWORKS: CIDRs deliveries and routes may reach although private or loopback, for tenants without allowedNetworks of their own. Default none. */
  allowedNetworks: string[]
  /** HOOKRELAY_ENCRYPTION_KEY: 32 bytes as base64 or hex for secrets at rest. Default: a key file in dataDir. */
  encryptionKey: string | null
  /** `--role` / HOOKRELAY_ROLE. Default all. */
  role: Role
  /** HOOKRELAY_MAX_PAYLOAD_BYTES: request bodies above this are 413. Default 1 MiB. */
  maxPayloadBytes: number
  /** HOOKRELAY_DISABLE_AFTER: how long an endpoint may fail continuously before it is disabled. Default 5 days. */
  disableAfterMs: number
  /** HOOKRELAY_ENDPOINT_CONCURRENCY: attempts in flight per endpoint. Default 16. */
  endpointConcurrency: number
  /** HOOKRELAY_MAX_IN_FLIGHT: attempts in flight per process. Default 256. */
  maxInFlight: number
  /**
   * HOOKRELAY_LEASE_SECONDS: how long a claim holds a delivery; a live worker renews what it holds
   * every third of it, so this is how soon a dead worker's deliveries go to another. Default 300.
   */
  leaseMs: number
  /** HOOKRELAY_SQLITE_SYNCHRONOUS: NORMAL or FULL. Default FULL: a commit survives power loss, not only a crash. */
  sqliteSynchronous: 'NORMAL' | 'FULL'
  /** HOOKRELAY_LOG_LEVEL. Default info; `silent` in tests. */
  logLevel: string
  /** HOOKRELAY_SENDER_THREAD: make delivery HTTP requests on a worker thread (1) or the main thread (0). Default 1. */
  senderThread: boolean
  /** HOOKRELAY_RETENTION: how long finished events (with their deliveries and attempts) and logs of received requests are kept (seconds or ISO 8601). Default 30 days. */
  retentionMs: number
  /** HOOKRELAY_PUBLIC_URL: the base of the URLs the API shows (a source's ingestUrl). Default: the request's own host. */
  publicUrl: string | null
  /** HOOKRELAY_DATABASE_POOL_SIZE: PostgreSQL connections per process at most (plus one that listens, and up to 4 for the queue on nodes that deliver). Default 10. */
  databasePoolSize: number
  /**
   * HOOKRELAY_PORTAL_ORIGINS: comma-separated origins (https://app.example.com) whose pages may show
   * the tenant portal (/portal) in an iframe: its CSP frame-ancestors. The server's own origin may
   * always; the dashboard (/ui/) may never be framed. Default none.
   */
  portalOrigins: string[]
  /**
   * HOOKRELAY_DEFAULT_RETRY: a JSON `retry` object (enabled, maxRetries, schedule) that endpoints
   * created without `retry`, or with a partial one, take their fields from. Default null: 3 retries
   * after 1, 2 and 4 s.
   */
  defaultRetry: RetrySettings | null
  /**
   * HOOKRELAY_REQUIRE_HTTPS: true refuses http:// endpoint URLs (422) and fails deliveries to
   * stored ones with kind `blocked`. Default false.
   */
  requireHttps: boolean
  /**
   * HOOKRELAY_CA_CERTS: the path of a PEM file of CA certificates that deliveries trust besides
   * Node's bundled ones (a private CA). Read and checked at start; this is its text. Default none.
   */
  caCerts: string | null
  /**
   * HOOKRELAY_EGRESS_PROXY: http://host:port (credentials allowed: http://user:pass@host:port) of
   * an HTTP proxy every delivery leaves through (CONNECT tunnels for https, absolute-form requests
   * for http); the SSRF guard still judges each target first. Default none: direct.
   */
  egressProxy: string | null
  /** HOOKRELAY_DEGRADED_WINDOW: the span over which an endpoint's success rate is judged (seconds or ISO 8601). Default 15 minutes. */
  degradedWindowMs: number
  /** HOOKRELAY_DEGRADED_THRESHOLD: a success rate below this (over at least 20 attempts) raises endpoint.degraded. Default 0.5. */
  degradedThreshold: number
}

export const defaultConfig: Config = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: resolve('.hookrelay'),
  databaseUrl: null,
  adminToken: null,
  allowedNetworks: [],
  encryptionKey: null,
  role: 'all',
  maxPayloadBytes: 1024 * 1024,
  disableAfterMs: 5 * 24 * 3600 * 1000,
  endpointConcurrency: 16,
  maxInFlight: 256,
  leaseMs: 300_000,
  sqliteSynchronous: 'FULL',
  logLevel: 'info',
  senderThread: true,
  retentionMs: 30 * 24 * 3600 * 1000,
  publicUrl: null,
  databasePoolSize: 10,
  portalOrigins: [],
  defaultRetry: null,
  requireHttps: false,
  caCerts: null,
  egressProxy: null,
  degradedWindowMs: 15 * 60 * 1000,
  degradedThreshold: 0.5,
}

export interface Flags {
  port?: string
  host?: string
  dataDir?: string
  databaseUrl?: string
  role?: string
}

/** A setting the server cannot use: the CLI prints its message as one line and exits 1, without a stack. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * The one check of a database URL: postgres:// or postgresql:// (the two schemes libpq accepts)
 * selects PostgreSQL; without one the store is SQLite in dataDir. open-store.ts trusts it.
 */
const POSTGRES_URL = /^postgres(ql)?:\/\//

function databaseUrl(url: string | undefined): string | null {
  if (url === undefined) return null
  if (POSTGRES_URL.test(url)) return url
  // Only a scheme is repeated, never the rest: a URL may hold a password.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0]
  const got = scheme === undefined ? 'a value without a scheme' : `a ${scheme} URL`
  throw new ConfigError(`--database-url (HOOKRELAY_DATABASE_URL) must be a postgres:// or postgresql:// URL, or left out for SQLite in the data directory (--data-dir); got ${got}`)
}

function allowedNetworks(list: string | undefined): string[] {
  const entries = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  const bad = entries.find((e) => parseCidr(e) === null)
  if (bad !== undefined) throw new ConfigError(`HOOKRELAY_ALLOWED_NETWORKS must be comma-separated CIDRs such as 10.0.0.0/8 or fd00::/8, got "${bad}"`)
  return entries
}

/**
 * Each an origin exactly as a browser sends it (scheme, host, optional port; no path, no trailing
 * slash), since frame-ancestors compares origins: `https://app.example.com/` would read as a path.
 */
function portalOrigins(list: string | undefined): string[] {
  const entries = (list ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  for (const e of entries) {
    let origin: string | null = null
    try {
      const u = new URL(e)
      if (u.protocol === 'http:' || u.protocol === 'https:') origin = u.origin
    } catch {
      // not a URL: refused below
    }
    if (origin !== e) throw new ConfigError(`HOOKRELAY_PORTAL_ORIGINS must be comma-separated origins such as https://app.example.com (scheme, host and port only), got "${e}"`)
  }
  return entries
}

function defaultRetry(text: string | undefined): RetrySettings | null {
  if (text === undefined) return null
  const parsed = parseRetrySettings(text)
  if (!parsed.ok) throw new ConfigError(`HOOKRELAY_DEFAULT_RETRY ${parsed.message}`)
  return parsed.retry
}

function bool(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  const v = value.trim().toLowerCase()
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  throw new ConfigError(`${name} must be true or false, got "${value}"`)
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** The file's text once every certificate in it parses and OpenSSL takes them as CAs. */
function caCerts(path: string | undefined): string | null {
  if (path === undefined) return null
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message
    throw new ConfigError(`HOOKRELAY_CA_CERTS must be a readable PEM file of CA certificates; cannot read "${path}": ${why}`)
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) throw new ConfigError(`HOOKRELAY_CA_CERTS must be a PEM file of CA certificates; "${path}" holds no -----BEGIN CERTIFICATE----- block`)
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem)
      createSecureContext({ ca: pem })
    } catch (err) {
      throw new ConfigError(`HOOKRELAY_CA_CERTS: certificate ${i + 1} in "${path}" is not valid: ${(err as Error).message}`)
    }
  })
  return blocks.join('\n') + '\n'
}

/** An http:// origin, possibly with credentials; the message never repeats them. */
function egressProxy(value: string | undefined): string | null {
  if (value === undefined) return null
  let u: URL | null = null
  try {
    u = new URL(value)
  } catch {
    // refused below
  }
  const shape = 'must be an HTTP proxy as http://host:port (or http://user:password@host:port)'
  if (u === null) throw new ConfigError(`HOOKRELAY_EGRESS_PROXY ${shape}; got a value that is not a URL`)
  if (u.protocol !== 'http:') throw new ConfigError(`HOOKRELAY_EGRESS_PROXY ${shape}; got a ${u.protocol} URL`)
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '') throw new ConfigError(`HOOKRELAY_EGRESS_PROXY ${shape}, without a path or query; got one with ${u.pathname !== '/' ? `the path ${u.pathname}` : 'a query'}`)
  return u.href.replace(/\/$/, '')
}

function encryptionKey(key: string | undefined): string | null {
  if (key === undefined) return null
  try {
    parseEncryptionKey(key)
  } catch (err) {
    // The message names the key's length or form, never the key.
    throw new ConfigError(`HOOKRELAY_ENCRYPTION_KEY: ${(err as Error).message}`)
  }
  return key
}

/** Flags win over the environment, the environment over the defaults. Throws a ConfigError on a value it cannot use. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Flags = {}): Config {
  const pick = (flag: string | undefined, name: string): string | undefined => {
    const v = flag ?? env[name]
    return v === undefined || v === '' ? undefined : v
  }
  const int = (value: string | undefined, name: string, fallback: number, min: number): number => {
    if (value === undefined) return fallback
    const n = Number(value)
    if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number >= ${min}, got "${value}"`)
    return n
  }
  const role = pick(flags.role, 'HOOKRELAY_ROLE') ?? 'all'
  if (role !== 'api' && role !== 'worker' && role !== 'all') throw new ConfigError(`--role must be api, worker or all, got "${role}"`)
  const sync = (pick(undefined, 'HOOKRELAY_SQLITE_SYNCHRONOUS') ?? defaultConfig.sqliteSynchronous).toUpperCase()
  if (sync !== 'NORMAL' && sync !== 'FULL') throw new ConfigError(`HOOKRELAY_SQLITE_SYNCHRONOUS must be NORMAL or FULL`)
  const disableAfter = pick(undefined, 'HOOKRELAY_DISABLE_AFTER')
  const disableAfterMs = disableAfter === undefined ? defaultConfig.disableAfterMs : parseDuration(disableAfter)
  if (disableAfterMs === null) throw new ConfigError(`HOOKRELAY_DISABLE_AFTER must be seconds or an ISO 8601 duration, got "${disableAfter}"`)
  const retention = pick(undefined, 'HOOKRELAY_RETENTION')
  const retentionMs = retention === undefined ? defaultConfig.retentionMs : parseDuration(retention)
  if (retentionMs === null || retentionMs <= 0) throw new ConfigError(`HOOKRELAY_RETENTION must be seconds or an ISO 8601 duration, got "${retention}"`)
  const degradedWindow = pick(undefined, 'HOOKRELAY_DEGRADED_WINDOW')
  const degradedWindowMs = degradedWindow === undefined ? defaultConfig.degradedWindowMs : parseDuration(degradedWindow)
  if (degradedWindowMs === null || degradedWindowMs < 1000) throw new ConfigError(`HOOKRELAY_DEGRADED_WINDOW must be seconds or an ISO 8601 duration of at least 1 second, got "${degradedWindow}"`)
  const threshold = pick(undefined, 'HOOKRELAY_DEGRADED_THRESHOLD')
  const degradedThreshold = threshold === undefined ? defaultConfig.degradedThreshold : Number(threshold)
  if (!(degradedThreshold > 0 && degradedThreshold <= 1)) throw new ConfigError(`HOOKRELAY_DEGRADED_THRESHOLD must be a success rate above 0 and at most 1 (e.g. 0.5), got "${threshold}"`)
  const publicUrl = pick(undefined, 'HOOKRELAY_PUBLIC_URL')?.replace(/\/+$/, '') ?? null
  if (publicUrl !== null && !/^https?:\/\/[^/]+/.test(publicUrl)) throw new ConfigError(`HOOKRELAY_PUBLIC_URL must be an http:// or https:// URL, got "${publicUrl}"`)
  const port = int(pick(flags.port, 'HOOKRELAY_PORT'), '--port', defaultConfig.port, 0)
  if (port > 65535) throw new ConfigError(`--port must be at most 65535`)
  return {
    port,
    host: pick(flags.host, 'HOOKRELAY_HOST') ?? defaultConfig.host,
    dataDir: resolve(pick(flags.dataDir, 'HOOKRELAY_DATA_DIR') ?? defaultConfig.dataDir),
    databaseUrl: databaseUrl(pick(flags.databaseUrl, 'HOOKRELAY_DATABASE_URL')),
    adminToken: pick(undefined, 'HOOKRELAY_ADMIN_TOKEN') ?? null,
    allowedNetworks: allowedNetworks(pick(undefined, 'HOOKRELAY_ALLOWED_NETWORKS')),
    encryptionKey: encryptionKey(pick(undefined, 'HOOKRELAY_ENCRYPTION_KEY')),
    role,
    maxPayloadBytes: int(pick(undefined, 'HOOKRELAY_MAX_PAYLOAD_BYTES'), 'HOOKRELAY_MAX_PAYLOAD_BYTES', defaultConfig.maxPayloadBytes, 1024),
    disableAfterMs,
    endpointConcurrency: int(pick(undefined, 'HOOKRELAY_ENDPOINT_CONCURRENCY'), 'HOOKRELAY_ENDPOINT_CONCURRENCY', defaultConfig.endpointConcurrency, 1),
    maxInFlight: int(pick(undefined, 'HOOKRELAY_MAX_IN_FLIGHT'), 'HOOKRELAY_MAX_IN_FLIGHT', defaultConfig.maxInFlight, 1),
    leaseMs: int(pick(undefined, 'HOOKRELAY_LEASE_SECONDS'), 'HOOKRELAY_LEASE_SECONDS', defaultConfig.leaseMs / 1000, 5) * 1000,
    sqliteSynchronous: sync,
    logLevel: pick(undefined, 'HOOKRELAY_LOG_LEVEL') ?? defaultConfig.logLevel,
    senderThread: (pick(undefined, 'HOOKRELAY_SENDER_THREAD') ?? '1') !== '0',
    retentionMs,
    publicUrl,
    databasePoolSize: int(pick(undefined, 'HOOKRELAY_DATABASE_POOL_SIZE'), 'HOOKRELAY_DATABASE_POOL_SIZE', defaultConfig.databasePoolSize, 1),
    portalOrigins: portalOrigins(pick(undefined, 'HOOKRELAY_PORTAL_ORIGINS')),
    defaultRetry: defaultRetry(pick(undefined, 'HOOKRELAY_DEFAULT_RETRY')),
    requireHttps: bool(pick(undefined, 'HOOKRELAY_REQUIRE_HTTPS'), 'HOOKRELAY_REQUIRE_HTTPS', defaultConfig.requireHttps),
    caCerts: caCerts(pick(undefined, 'HOOKRELAY_CA_CERTS')),
    egressProxy: egressProxy(pick(undefined, 'HOOKRELAY_EGRESS_PROXY')),
    degradedWindowMs,
    degradedThreshold,
  }
}
