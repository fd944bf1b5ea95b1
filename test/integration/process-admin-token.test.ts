/**
 * Without HOOKRELAY_ADMIN_TOKEN the server generates an admin token on its first start, prints it
 * once, and keeps accepting it on later starts with the same data directory (without printing it again).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'

const cleanups: Array<() => void> = []
afterEach(async () => {
  await killAllChildren()
  for (const c of cleanups.splice(0)) c()
})

describe('generated admin token', () => {
  it('is printed once on the first start, not on the next, and works for GET /v1/tenants', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-token-'))
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
    const env = { HOOKRELAY_ADMIN_TOKEN: undefined }

    const first = await spawnServer({ dataDir, env })
    const tokenLines = first.stdout.filter((l) => l.includes('hr_admin_'))
    expect(tokenLines, first.stdout.join('\n')).toHaveLength(1)
    const token = /(hr_admin_[A-Za-z0-9_-]+)/.exec(tokenLines[0]!)![1]!
    const ok = await childApi(first.url, token)('GET', '/v1/tenants')
    expect(ok.status).toBe(200)
    expect(Array.isArray(ok.body.data)).toBe(true)
    expect((await childApi(first.url, `${token}x`)('GET', '/v1/tenants')).status).toBe(401)
    first.kill('SIGTERM')
    expect(await first.exited).toEqual({ code: 0, signal: null })
    expect(first.stdout.filter((l) => l.includes('hr_admin_'))).toHaveLength(1)

    const second = await spawnServer({ dataDir, env })
    expect((await childApi(second.url, token)('GET', '/v1/tenants')).status).toBe(200)
    second.kill('SIGTERM')
    expect(await second.exited).toEqual({ code: 0, signal: null })
    expect(second.stdout.join('\n')).not.toContain('hr_admin_')
    expect(second.stderr.join('\n')).not.toContain('hr_admin_')
  })
})
