import { resolve } from 'node:path'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'
import { TEST_CERT } from '../test/helpers/test-certificate.js'

const PG = 'postgres://hookrelay:pw@db.internal:5432/hookrelay'

describe('loadConfig: the database URL', () => {
  it('is none by default, so the store is SQLite in the data directory; an empty value counts as unset', () => {
    expect(loadConfig({}).databaseUrl).toBeNull()
    expect(loadConfig({ HOOKRELAY_DATABASE_URL: '' }).databaseUrl).toBeNull()
    expect(loadConfig({}, { databaseUrl: '' }).databaseUrl).toBeNull()
  })

  it('comes from --database-url or HOOKRELAY_DATABASE_URL, in either scheme PostgreSQL accepts', () => {
    expect(loadConfig({}, { databaseUrl: PG }).databaseUrl).toBe(PG)
    expect(loadConfig({ HOOKRELAY_DATABASE_URL: PG }).databaseUrl).toBe(PG)
    const postgresql = 'postgresql://u@127.0.0.1/db'
    expect(loadConfig({}, { databaseUrl: postgresql }).databaseUrl).toBe(postgresql)
    expect(loadConfig({ HOOKRELAY_DATABASE_URL: postgresql }).databaseUrl).toBe(postgresql)
  })

  it('takes the flag over the environment', () => {
    const env = { HOOKRELAY_DATABASE_URL: 'postgres://env@127.0.0.1/env', HOOKRELAY_ROLE: 'api', HOOKRELAY_PORT: '9000' }
    const config = loadConfig(env, { databaseUrl: PG, role: 'worker', port: '0' })
    expect(config).toMatchObject({ databaseUrl: PG, role: 'worker', port: 0 })
    expect(loadConfig(env)).toMatchObject({ databaseUrl: env.HOOKRELAY_DATABASE_URL, role: 'api', port: 9000 })
  })

  it('refuses a URL no store can open, saying what it takes and not repeating a password', () => {
    for (const [env, flags] of [
      [{}, { databaseUrl: 'mysql://root:s3cret@127.0.0.1/hookrelay' }],
      [{ HOOKRELAY_DATABASE_URL: 'mysql://root:s3cret@127.0.0.1/hookrelay' }, {}],
      // A bad flag is not saved by a good variable: the flag wins.
      [{ HOOKRELAY_DATABASE_URL: PG }, { databaseUrl: 'mysql://root:s3cret@127.0.0.1/hookrelay' }],
    ] as const) {
      let thrown: unknown
      try {
        loadConfig(env, flags)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(ConfigError)
      const message = (thrown as Error).message
      expect(message).toMatch(/--database-url/)
      expect(message).toMatch(/postgres:\/\//)
      expect(message).toMatch(/mysql:/)
      expect(message).not.toMatch(/s3cret/)
    }
    expect(() => loadConfig({}, { databaseUrl: 'db.internal/hookrelay' })).toThrow(ConfigError)
    expect(() => loadConfig({}, { databaseUrl: 'postgres:db' })).toThrow(ConfigError)
  })

  it('repeats nothing of a value without a scheme, which may hold a password', () => {
    for (const url of ['//root:s3cret@db.internal/hookrelay', 'root@s3cret']) {
      expect(() => loadConfig({}, { databaseUrl: url })).toThrow(/got a value without a scheme$/)
    }
  })

  it('takes no sqlite: URL, which nothing documents: SQLite is the default, in --data-dir', () => {
    expect(() => loadConfig({}, { databaseUrl: 'sqlite:/var/lib/hookrelay' })).toThrow(/got a sqlite: URL$/)
  })
})

describe('loadConfig: unusable values', () => {
  it('are ConfigErrors, which the CLI prints as one line', () => {
    expect(() => loadConfig({}, { role: 'reader' })).toThrow(ConfigError)
    expect(() => loadConfig({ HOOKRELAY_PORT: '70000' })).toThrow(ConfigError)
    expect(() => loadConfig({ HOOKRELAY_RETENTION: 'soon' })).toThrow(ConfigError)
  })
})

describe('loadConfig: the Running settings of API.md', () => {
  it('defaults to port 8080 on 127.0.0.1, SQLite in ./.hookrelay, role all, 1 MiB bodies, nothing allowed', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: resolve('.hookrelay'),
      databaseUrl: null,
      role: 'all',
      adminToken: null,
      encryptionKey: null,
      allowedNetworks: [],
      maxPayloadBytes: 1024 * 1024,
    })
  })

  it('reads each from its variable, and --port, --host and --data-dir over theirs', () => {
    const key = 'a'.repeat(64)
    const env = {
      HOOKRELAY_PORT: '0',
      HOOKRELAY_HOST: '::1',
      HOOKRELAY_DATA_DIR: '/tmp/from-env',
      HOOKRELAY_ADMIN_TOKEN: 'tok',
      HOOKRELAY_ALLOWED_NETWORKS: ' 127.0.0.0/8, ::1/128 ,,10.1.2.3',
      HOOKRELAY_ENCRYPTION_KEY: key,
      HOOKRELAY_MAX_PAYLOAD_BYTES: '2048',
    }
    expect(loadConfig(env)).toMatchObject({
      port: 0,
      host: '::1',
      dataDir: '/tmp/from-env',
      adminToken: 'tok',
      allowedNetworks: ['127.0.0.0/8', '::1/128', '10.1.2.3'],
      encryptionKey: key,
      maxPayloadBytes: 2048,
    })
    expect(loadConfig(env, { port: '9001', host: '0.0.0.0', dataDir: 'rel/dir' })).toMatchObject({ port: 9001, host: '0.0.0.0', dataDir: resolve('rel/dir') })
  })

  it('refuses values it cannot use with a ConfigError that names the setting, never echoing a key', () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ HOOKRELAY_PORT: 'abc' }, /--port/],
      [{ HOOKRELAY_PORT: '-1' }, /--port/],
      [{ HOOKRELAY_MAX_PAYLOAD_BYTES: '1.5' }, /HOOKRELAY_MAX_PAYLOAD_BYTES/],
      [{ HOOKRELAY_ALLOWED_NETWORKS: '127.0.0.0/8,notacidr' }, /HOOKRELAY_ALLOWED_NETWORKS.*notacidr/],
      [{ HOOKRELAY_ALLOWED_NETWORKS: '10.0.0.0/33' }, /HOOKRELAY_ALLOWED_NETWORKS/],
      [{ HOOKRELAY_ENCRYPTION_KEY: 'too-short-secret' }, /HOOKRELAY_ENCRYPTION_KEY/],
    ]
    for (const [env, message] of cases) {
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError)
      expect(() => loadConfig(env)).toThrow(message)
    }
    expect(() => loadConfig({ HOOKRELAY_ENCRYPTION_KEY: 'too-short-secret' })).not.toThrow(/too-short-secret/)
  })
})

describe('loadConfig: HOOKRELAY_PORTAL_ORIGINS', () => {
  it('is none by default and takes comma-separated origins', () => {
    expect(loadConfig({}).portalOrigins).toEqual([])
    expect(loadConfig({ HOOKRELAY_PORTAL_ORIGINS: 'https://app.example.com, http://localhost:3000' }).portalOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:3000',
    ])
  })

  it('refuses anything that is not exactly an http(s) origin, naming the setting and the value', () => {
    for (const bad of ['https://app.example.com/', 'https://app.example.com/portal', 'app.example.com', '*', "'self'", 'ftp://x.example.com', 'https://a.example.com; script-src *']) {
      expect(() => loadConfig({ HOOKRELAY_PORTAL_ORIGINS: bad }), bad).toThrow(ConfigError)
      expect(() => loadConfig({ HOOKRELAY_PORTAL_ORIGINS: bad })).toThrow(/HOOKRELAY_PORTAL_ORIGINS/)
    }
  })
})

describe('loadConfig: HOOKRELAY_DEFAULT_RETRY', () => {
  it('is none by default', () => {
    expect(loadConfig({}).defaultRetry).toBeNull()
  })

  it('is a JSON retry object over the built-in default', () => {
    expect(loadConfig({ HOOKRELAY_DEFAULT_RETRY: '{"maxRetries": 7, "schedule": [5, 60, 300, 1800, 7200, 18000, 36000]}' }).defaultRetry).toEqual({
      enabled: true,
      maxRetries: 7,
      schedule: [5, 60, 300, 1800, 7200, 18000, 36000],
    })
    expect(loadConfig({ HOOKRELAY_DEFAULT_RETRY: '{"maxRetries": 1}' }).defaultRetry).toEqual({ enabled: true, maxRetries: 1, schedule: null })
  })

  it('refuses what an endpoint would refuse, naming the setting', () => {
    expect(() => loadConfig({ HOOKRELAY_DEFAULT_RETRY: '{"maxRetries": 6}' })).toThrow(/^HOOKRELAY_DEFAULT_RETRY maxRetries/)
    expect(() => loadConfig({ HOOKRELAY_DEFAULT_RETRY: 'seven' })).toThrow(ConfigError)
  })
})

describe('loadConfig: HOOKRELAY_CA_CERTS and HOOKRELAY_REQUIRE_HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-config-ca-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const file = (name: string, text: string): string => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  // A throwaway self-signed certificate, used only as data here.
  const PEM = TEST_CERT

  it('are none and false by default', () => {
    expect(loadConfig({})).toMatchObject({ caCerts: null, requireHttps: false })
  })

  it('reads the CA file at start and keeps its certificates', () => {
    const path = file('ca.pem', `# a comment before\n${PEM}\n${PEM}`)
    expect(loadConfig({ HOOKRELAY_CA_CERTS: path }).caCerts).toBe(`${PEM.trim()}\n${PEM.trim()}\n`)
  })

  it('refuses a file it cannot read, one without certificates, and a broken certificate, in one line', () => {
    const missing = join(dir, 'missing.pem')
    expect(() => loadConfig({ HOOKRELAY_CA_CERTS: missing })).toThrow(`HOOKRELAY_CA_CERTS must be a readable PEM file of CA certificates; cannot read "${missing}": no such file`)
    expect(() => loadConfig({ HOOKRELAY_CA_CERTS: dir })).toThrow(/it is a directory$/)
    if (process.getuid?.() !== 0) {
      const locked = file('locked.pem', PEM)
      chmodSync(locked, 0o000)
      expect(() => loadConfig({ HOOKRELAY_CA_CERTS: locked })).toThrow(/permission denied$/)
    }
    expect(() => loadConfig({ HOOKRELAY_CA_CERTS: file('empty.pem', 'hello\n') })).toThrow(/holds no -----BEGIN CERTIFICATE----- block$/)
    const broken = PEM.replace('MIIBlDCCATugAwIBAgIU', 'MIIBlDCCATugAwIBAgIX').replace('eOHVNqGlUUA1N1mfqBt3TkwSelM', 'xxxx')
    expect(() => loadConfig({ HOOKRELAY_CA_CERTS: file('broken.pem', `${PEM}${broken}`) })).toThrow(/^HOOKRELAY_CA_CERTS: certificate 2 in ".*broken.pem" is not valid: /)
    for (const err of [missing, dir]) {
      try {
        loadConfig({ HOOKRELAY_CA_CERTS: err })
      } catch (e) {
        expect((e as Error).message).not.toMatch(/\n/)
      }
    }
  })

  it('takes true/false (or 1/0) for HOOKRELAY_REQUIRE_HTTPS and refuses anything else', () => {
    expect(loadConfig({ HOOKRELAY_REQUIRE_HTTPS: 'true' }).requireHttps).toBe(true)
    expect(loadConfig({ HOOKRELAY_REQUIRE_HTTPS: '1' }).requireHttps).toBe(true)
    expect(loadConfig({ HOOKRELAY_REQUIRE_HTTPS: 'false' }).requireHttps).toBe(false)
    expect(() => loadConfig({ HOOKRELAY_REQUIRE_HTTPS: 'yes' })).toThrow('HOOKRELAY_REQUIRE_HTTPS must be true or false, got "yes"')
  })
})

describe('loadConfig: HOOKRELAY_EGRESS_PROXY', () => {
  it('is none by default and an http:// origin when set, credentials kept', () => {
    expect(loadConfig({}).egressProxy).toBeNull()
    expect(loadConfig({ HOOKRELAY_EGRESS_PROXY: 'http://proxy.internal:3128' }).egressProxy).toBe('http://proxy.internal:3128')
    expect(loadConfig({ HOOKRELAY_EGRESS_PROXY: 'http://proxy.internal:3128/' }).egressProxy).toBe('http://proxy.internal:3128')
    expect(loadConfig({ HOOKRELAY_EGRESS_PROXY: 'http://u:p@10.0.0.1:3128' }).egressProxy).toBe('http://u:p@10.0.0.1:3128')
  })

  it('refuses anything else in one line that never repeats a password', () => {
    for (const [value, got] of [
      ['proxy.internal:3128', /got a proxy.internal: URL$|not a URL$/],
      ['https://u:s3cret@proxy.internal:3128', /got a https: URL$/],
      ['socks5://proxy.internal:1080', /got a socks5: URL$/],
      ['http://proxy.internal:3128/path', /the path \/path$/],
      ['not a url', /not a URL$/],
    ] as const) {
      let message = ''
      try {
        loadConfig({ HOOKRELAY_EGRESS_PROXY: value })
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError)
        message = (err as Error).message
      }
      expect(message).toMatch(/^HOOKRELAY_EGRESS_PROXY must be an HTTP proxy as http:\/\/host:port/)
      expect(message).toMatch(got)
      expect(message).not.toMatch(/s3cret/)
    }
  })
})

describe('loadConfig: HOOKRELAY_DEGRADED_WINDOW and HOOKRELAY_DEGRADED_THRESHOLD', () => {
  it('default to 15 minutes and 0.5', () => {
    expect(loadConfig({})).toMatchObject({ degradedWindowMs: 900_000, degradedThreshold: 0.5 })
  })

  it('take seconds or an ISO 8601 duration, and a rate above 0 up to 1', () => {
    expect(loadConfig({ HOOKRELAY_DEGRADED_WINDOW: '300' }).degradedWindowMs).toBe(300_000)
    expect(loadConfig({ HOOKRELAY_DEGRADED_WINDOW: 'PT1H' }).degradedWindowMs).toBe(3_600_000)
    expect(loadConfig({ HOOKRELAY_DEGRADED_THRESHOLD: '0.9' }).degradedThreshold).toBe(0.9)
    expect(loadConfig({ HOOKRELAY_DEGRADED_THRESHOLD: '1' }).degradedThreshold).toBe(1)
  })

  it('refuse anything else in one line', () => {
    for (const bad of ['15m', '0', 'P1M', '-5']) expect(() => loadConfig({ HOOKRELAY_DEGRADED_WINDOW: bad })).toThrow(/^HOOKRELAY_DEGRADED_WINDOW must be seconds or an ISO 8601 duration/)
    for (const bad of ['0', '1.5', 'half', '-0.1', 'NaN']) expect(() => loadConfig({ HOOKRELAY_DEGRADED_THRESHOLD: bad })).toThrow(/^HOOKRELAY_DEGRADED_THRESHOLD must be a success rate above 0 and at most 1/)
  })
})
