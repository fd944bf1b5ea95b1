import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

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
})

describe('loadConfig: unusable values', () => {
  it('are ConfigErrors, which the CLI prints as one line', () => {
    expect(() => loadConfig({}, { role: 'reader' })).toThrow(ConfigError)
    expect(() => loadConfig({ HOOKRELAY_PORT: '70000' })).toThrow(ConfigError)
    expect(() => loadConfig({ HOOKRELAY_RETENTION: 'soon' })).toThrow(ConfigError)
  })
})
