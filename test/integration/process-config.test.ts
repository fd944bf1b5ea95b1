/**
 * A setting the server cannot use (config.ts) ends `serve` and `migrate` with one line on stderr
 * and exit code 1: what is wrong and what it takes, never a stack trace, and nothing opened.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/child-server.js'

describe('serve and migrate with an unusable setting', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-config-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  const mysql = 'mysql://root:s3cret@127.0.0.1:3306/hookrelay'
  it.each([
    ['migrate --database-url mysql://', ['migrate', '--data-dir', dataDir, '--database-url', mysql], {}],
    ['serve --database-url mysql://', ['serve', '--port', '0', '--data-dir', dataDir, '--database-url', mysql], {}],
    ['serve with HOOKRELAY_DATABASE_URL=mysql://', ['serve', '--port', '0', '--data-dir', dataDir], { HOOKRELAY_DATABASE_URL: mysql }],
  ])('%s: one line, exit 1', async (_, args, env) => {
    const run = await runCli(args, env)
    expect(run.code).toBe(1)
    expect(run.stderr).toEqual([expect.stringMatching(/^hookrelay: --database-url .*postgres:\/\/.* got a mysql: URL$/)])
    expect(run.stderr.join('\n')).not.toMatch(/s3cret/)
    expect(run.stdout).toEqual([])
    // Refused before anything was opened: no SQLite database was made instead.
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('serve --role reader: one line, exit 1', async () => {
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir, '--role', 'reader'])
    expect(run.code).toBe(1)
    expect(run.stderr).toEqual(['hookrelay: --role must be api, worker or all, got "reader"'])
  })

  it.each([
    ['not JSON', 'maxRetries=7', /^hookrelay: HOOKRELAY_DEFAULT_RETRY must be a JSON object/],
    ['out of range', '{"maxRetries": 9}', /^hookrelay: HOOKRELAY_DEFAULT_RETRY maxRetries must be a whole number from 0 to 5$/],
    ['a typo', '{"maxRetry": 7}', /^hookrelay: HOOKRELAY_DEFAULT_RETRY has an unknown field "maxRetry"/],
  ])('serve with HOOKRELAY_DEFAULT_RETRY %s: one line, exit 1', async (_, value, line) => {
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir], { HOOKRELAY_DEFAULT_RETRY: value })
    expect(run.code).toBe(1)
    expect(run.stderr).toEqual([expect.stringMatching(line)])
    expect(run.stdout).toEqual([])
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('serve with an unreadable HOOKRELAY_CA_CERTS: one line, exit 1', async () => {
    const missing = join(dataDir, 'no-such-ca.pem')
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir], { HOOKRELAY_CA_CERTS: missing })
    expect(run.code).toBe(1)
    expect(run.stderr).toEqual([`hookrelay: HOOKRELAY_CA_CERTS must be a readable PEM file of CA certificates; cannot read "${missing}": no such file`])
    expect(readdirSync(dataDir)).toEqual([])
  })

  it('serve with a HOOKRELAY_EGRESS_PROXY that is not an http:// proxy: one line, exit 1', async () => {
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir], { HOOKRELAY_EGRESS_PROXY: 'socks5://u:s3cret@127.0.0.1:1080' })
    expect(run.code).toBe(1)
    expect(run.stderr).toEqual(['hookrelay: HOOKRELAY_EGRESS_PROXY must be an HTTP proxy as http://host:port (or http://user:password@host:port); got a socks5: URL'])
    expect(readdirSync(dataDir)).toEqual([])
  })
})
