/**
 * API.md "CLI": the commands that talk to a running server, run as real child processes against a
 * real server: `send`, `replay` (with its progress on a terminal left out: stdout is a pipe here)
 * and `listen` (forwarding to a local receiver, signed so that `standardwebhooks` verifies it).
 * `--server`/`HOOKRELAY_URL` and `--token`/`HOOKRELAY_TOKEN` pick the server and the credentials.
 * Network rule: the server and the receivers are on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { VERSION } from '../../src/version.js'
import { REPO_ROOT } from '../helpers/child-server.js'
import { useFixture } from '../helpers/fixture.js'
import { ADMIN_TOKEN, eventually } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

const CLI_ENTRY = join(REPO_ROOT, 'test/helpers/cli-entry.ts')
const tempDir = useTempDirs('cli')
/** The user's config directory for the CLI runs that do not name one: never the real ~/.config. */
let defaultConfigHome: string | undefined

function cli(args: string[], env: Record<string, string> = {}): ChildProcess {
  defaultConfigHome ??= tempDir('config')
  return spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOOKRELAY_TOKEN: undefined, HOOKRELAY_URL: undefined, HOOKRELAY_ADMIN_TOKEN: undefined, XDG_CONFIG_HOME: defaultConfigHome, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Lines of a running command's stdout as they come, and its stderr. */
function follow(p: ChildProcess): { lines: string[]; stderr: () => string } {
  const lines: string[] = []
  let stderr = ''
  createInterface({ input: p.stdout! }).on('line', (l) => lines.push(l))
  p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  return { lines, stderr: () => stderr }
}

/** Interrupts a running command as ^C does and answers its exit code. */
async function interrupt(p: ChildProcess): Promise<number | null> {
  p.kill('SIGINT')
  return new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.on('exit', r)))
}

const SECRET_LINE = 'webhook signing secret: '
/** A process start: tsx compiles the sources first, slow on a busy machine. */
const START_MS = 30_000

/** Runs a command to its end. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = cli(args, env)
    let stdout = ''
    let stderr = ''
    p.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
    p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    p.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

// One test at a time: each starts CLI processes through tsx, several seconds of CPU apiece, and run
// side by side on a shared 2-core machine they outlast their timeouts.
describe('CLI against a running server', () => {
  const f = useFixture('cli')
  const { receiver, tenant, endpoint } = f
  const env = () => ({ HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: ADMIN_TOKEN })
  /** A new API key of tenant `t`. */
  const keyOf = async (t: string): Promise<string> => (await f.srv.api('POST', `/v1/tenants/${t}/api-keys`, { name: 'cli' })).body.key as string

  it('--version prints the version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run([flag])
      expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' })
    }
  }, 60_000)

  it('send publishes one event and prints its id and delivery count', async () => {
    const t = await tenant()
    const rcv = await receiver()
    await endpoint(t, { url: `${rcv.url}/hook` })
    const r = await run(['send', '--tenant', t, 'invoice.paid', '{"amount": 42}'], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^evt_\w+ invoice\.paid: 1 delivery\n$/)
    const [hit] = await rcv.waitForHits(1)
    expect(JSON.parse(hit!.body)).toMatchObject({ id: r.stdout.split(' ')[0], type: 'invoice.paid', data: { amount: 42 } })
  }, 60_000)

  it('send takes --server and --token as flags, and says what went wrong in one line', async () => {
    const t = await tenant()
    const [ok, badJson, badType, noToken, wrongToken] = await Promise.all([
      run(['send', '--tenant', t, '--server', f.srv.url, '--token', ADMIN_TOKEN, 'a.b', '{}']),
      run(['send', '--tenant', t, 'a.b', '{nope'], env()),
      run(['send', '--tenant', t, 'Not A Type', '{}'], env()),
      run(['send', '--tenant', t, 'a.b', '{}'], { HOOKRELAY_URL: f.srv.url }),
      run(['send', '--tenant', t, 'a.b', '{}'], { HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: 'nope' }),
    ])
    expect(ok.code).toBe(0)
    expect(badJson.code).toBe(1)
    expect(badJson.stderr).toBe('hookrelay: the payload is not valid JSON: {nope\n')
    expect(badType.code).toBe(1)
    expect(badType.stderr).toMatch(/^hookrelay: POST \/v1\/tenants\/.+\/events: 422 .*\n$/)
    expect(noToken.code).toBe(1)
    expect(noToken.stderr).toMatch(/a token is needed/)
    expect(wrongToken.code).toBe(1)
    expect(wrongToken.stderr).toMatch(/401/)
  }, 60_000)

  it("send takes a tenant API key's own tenant when --tenant is left out; the admin token needs --tenant", async () => {
    const t = await tenant()
    const rcv = await receiver()
    await endpoint(t, { url: `${rcv.url}/hook` })
    const key = await keyOf(t)
    const [byKey, byAdmin] = await Promise.all([
      run(['send', 'invoice.paid', '{"by": "key"}'], { HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: key }),
      run(['send', 'invoice.paid', '{}'], env()),
    ])
    expect(byKey.stderr).toBe('')
    expect(byKey.stdout).toMatch(/^evt_\w+ invoice\.paid: 1 delivery\n$/)
    const [hit] = await rcv.waitForHits(1)
    expect(JSON.parse(hit!.body)).toMatchObject({ id: byKey.stdout.split(' ')[0], data: { by: 'key' } })
    expect(byAdmin.code).toBe(1)
    expect(byAdmin.stderr).toBe('hookrelay: pass --tenant: the admin token is not scoped to a tenant (a tenant API key is, and needs no --tenant)\n')
  }, 60_000)

  it("prints the server's errors once", async () => {
    const t = await tenant()
    const r = await run(['send', '--tenant', t, 'a.b', '5'], env())
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`hookrelay: POST /v1/tenants/${t}/events: 422 /payload: must be object\n`)
  }, 60_000)

  it("replay sends an endpoint's failed deliveries again and reports how they went", async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook`, retry: { maxRetries: 0 } })
    const since = new Date(Date.now() - 60_000).toISOString()
    for (let i = 0; i < 3; i++) expect((await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: { i } })).status).toBe(202)
    await eventually(async () => (await f.srv.api('GET', `/v1/tenants/${t}/deliveries?endpointId=${ep.id}&status=failed`)).body.data.length === 3)
    rcv.setHandler(() => ({ status: 200 }))

    // Without --tenant: found through the tenants, with the admin token.
    const r = await run(['replay', '--endpoint', ep.id, '--since', since], env())
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`replaying 3 failed deliveries of endpoint ${ep.id}`)
    expect(r.stdout).toContain('replayed 3: 3 delivered, 0 failed again')
    expect(rcv.hits).toHaveLength(6)
    const again = await run(['replay', '--tenant', t, '--endpoint', ep.id, '--since', since], env())
    expect(again.stdout).toContain('nothing to replay')
  }, 60_000)

  it('replay looks back 24 hours without --since and says so; a tenant API key needs no --tenant', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook`, retry: { maxRetries: 0 } })
    expect((await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: {} })).status).toBe(202)
    await eventually(async () => (await f.srv.api('GET', `/v1/tenants/${t}/deliveries?endpointId=${ep.id}&status=failed`)).body.data.length === 1)
    rcv.setHandler(() => ({ status: 200 }))
    const before = Date.now()
    const r = await run(['replay', '--endpoint', ep.id], { HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: await keyOf(t) })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const m = /^replaying 1 failed delivery of endpoint \S+ since (\S+) \(the last 24 hours; --since to go further back\)$/m.exec(r.stdout)
    expect(m, r.stdout).not.toBeNull()
    // 24 hours before the moment the command ran, which lies between these two.
    const since = Date.parse(m![1]!)
    const day = 24 * 3600_000
    expect(since).toBeGreaterThanOrEqual(before - day - 1000)
    expect(since).toBeLessThanOrEqual(Date.now() - day)
    expect(r.stdout).toContain('replayed 1: 1 delivered, 0 failed again')
  }, 60_000)

  it('replay refuses a bad time and an unknown endpoint', async () => {
    const [badSince, unknown] = await Promise.all([
      run(['replay', '--endpoint', 'ep_x', '--since', 'yesterday'], env()),
      run(['replay', '--endpoint', 'ep_nope', '--since', '2026-01-01T00:00:00Z'], env()),
    ])
    expect(badSince.code).toBe(1)
    expect(badSince.stderr).toMatch(/--since must be an ISO 8601 time/)
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/no tenant has an endpoint ep_nope/)
  }, 60_000)

  it('listen forwards new events of the tenant, filtered by type, signed with the secret it prints', async () => {
    const t = await tenant()
    const local = await receiver()
    await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'invoice.old', payload: {} }) // before listen: not forwarded
    const spawnedAt = Date.now()
    const p = cli(['listen', '--tenant', t, '--forward-to', `${local.url}/dev`, '--events', 'invoice.*, user.created'], env())
    const { lines, stderr } = follow(p)
    try {
      const secretLine = await eventually(async () => lines.find((l) => l.startsWith(SECRET_LINE)) ?? null, START_MS)
      const secret = secretLine.slice(SECRET_LINE.length)
      const published: string[] = []
      for (const type of ['invoice.paid', 'order.created', 'user.created']) {
        published.push((await f.srv.api('POST', `/v1/tenants/${t}/events`, { type, payload: { type } })).body.id)
      }
      const hits = await local.waitForHits(2, 10_000)
      await new Promise((r) => setTimeout(r, 1000)) // order.created must not follow
      expect(local.hits).toHaveLength(2)
      const wh = new Webhook(secret)
      const bodies = hits.map((h) => wh.verify(h.body, h.headers as Record<string, string>) as { type: string; data: unknown })
      expect(bodies.map((b) => b.type)).toEqual(['invoice.paid', 'user.created'])
      expect(bodies[0]!.data).toEqual({ type: 'invoice.paid' })
      expect(hits.map((h) => h.headers['webhook-id'])).toEqual([published[0], published[2]])
      expect(hits[0]!.url).toBe('/dev')
      // Each forwarded event with its time (UTC), its status and how long it took, as stripe listen shows them.
      const shown = await eventually(async () => lines.find((l) => l.includes(`--> user.created ${published[2]} `)))
      expect(shown).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}  --> user\\.created ${published[2]} \\[200\\] \\d+ ms$`))
      // Polling twice a second for over 6 s: a listener left behind per poll would pass Node's
      // limit of 10 and print a warning.
      await new Promise((r) => setTimeout(r, Math.max(0, 6500 - (Date.now() - spawnedAt))))
      expect(stderr()).not.toMatch(/MaxListenersExceeded/)
    } finally {
      expect(await interrupt(p)).toBe(0)
    }
  }, 60_000)

  it('listen keeps its signing secret across runs, per server and tenant, in a 0600 file of the config directory', async () => {
    const [t, other] = [await tenant(), await tenant()]
    const key = await keyOf(t)
    const configHome = tempDir('xdg')
    const local = await receiver()
    /** Runs listen until it prints its secret; answers the secret and the rest of what it printed. */
    const secretOf = async (args: string[], token = ADMIN_TOKEN) => {
      const p = cli(['listen', '--forward-to', `${local.url}/dev`, ...args], { HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: token, XDG_CONFIG_HOME: configHome })
      const { lines, stderr } = follow(p)
      try {
        const line = await eventually(async () => lines.find((l) => l.startsWith(SECRET_LINE)) ?? (stderr() !== '' ? stderr() : null), START_MS)
        expect(stderr()).toBe('')
        await eventually(async () => lines.length >= 3)
        return { secret: line.slice(SECRET_LINE.length), lines }
      } finally {
        expect(await interrupt(p)).toBe(0)
      }
    }
    // A tenant API key: no --tenant needed, and the key's tenant is the one whose secret is kept.
    const first = await secretOf([], key)
    expect(first.secret).toMatch(/^whsec_/)
    const file = join(configHome, 'hookrelay', 'listen-secrets.json')
    expect(first.lines).toContain(`(the same on every run for this server and tenant: kept in ${file})`)
    expect(first.lines[0]).toBe(`forwarding events of tenant ${t} to ${local.url}/dev (^C to quit)`)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(join(configHome, 'hookrelay')).mode & 0o777).toBe(0o700)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [f.srv.url]: { [t]: first.secret } })

    expect((await secretOf(['--tenant', t])).secret).toBe(first.secret)
    const otherTenant = await secretOf(['--tenant', other])
    expect(otherTenant.secret).not.toBe(first.secret)
    // --secret replaces the kept one from then on.
    const chosen = 'whsec_' + Buffer.from('a chosen secret of 32 bytes!!!!!').toString('base64')
    expect((await secretOf(['--tenant', t, '--secret', chosen])).secret).toBe(chosen)
    expect((await secretOf(['--tenant', t])).secret).toBe(chosen)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ [f.srv.url]: { [t]: chosen, [other]: otherTenant.secret } })
    expect(statSync(file).mode & 0o777).toBe(0o600)

    // The admin token is scoped to no tenant: listen asks for --tenant.
    const r = await run(['listen', '--forward-to', `${local.url}/dev`], { HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: ADMIN_TOKEN, XDG_CONFIG_HOME: configHome })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^hookrelay: pass --tenant/)
  }, 180_000)
})
