/**
 * The data directory the server creates is 0700 and the files it creates there 0600 (API.md,
 * "Limits on bad input"), whatever the umask: the database holds every payload and the admin
 * token's hash, the key file the key that opens every sealed secret.
 */
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

afterEach(() => killAllChildren())
const tempDir = useTempDirs('files')
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0')

describe('files the server creates', () => {
  it('a new data directory is 0700; the database, its WAL and SHM and the key file are 0600, under umask 000', { timeout: 60_000 }, async () => {
    const dataDir = join(tempDir('umask'), 'nested', 'data')
    // The child inherits the umask: 000 would leave 0777 directories and 0666 files to the defaults.
    const previous = process.umask(0)
    let server
    try {
      // SQLite on either test pass: the files are what is under test.
      server = await spawnServer({ dataDir, env: { HOOKRELAY_DATABASE_URL: undefined } })
    } finally {
      process.umask(previous)
    }
    // A write, so the WAL is in use whatever SQLite did at open.
    expect((await childApi(server.url)('POST', '/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201)

    expect(mode(dataDir)).toBe('0700')
    for (const file of ['hookrelay.db', 'hookrelay.db-wal', 'hookrelay.db-shm', 'encryption.key']) {
      expect([file, mode(join(dataDir, file))]).toEqual([file, '0600'])
    }
    server.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })

  it('an existing data directory keeps its mode; the files made in it are 0600', { timeout: 60_000 }, async () => {
    const dataDir = join(tempDir('existing'), 'data')
    mkdirSync(dataDir, { mode: 0o750 })
    const server = await spawnServer({ dataDir, env: { HOOKRELAY_DATABASE_URL: undefined } })
    expect(mode(dataDir)).toBe('0750')
    for (const file of ['hookrelay.db', 'hookrelay.db-wal', 'encryption.key']) {
      expect([file, mode(join(dataDir, file))]).toEqual([file, '0600'])
    }
    server.kill('SIGTERM')
    expect((await server.exited).code).toBe(0)
  })
})
