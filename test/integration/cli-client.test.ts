/**
 * API.md "CLI": the commands that talk to a running server, run as real child processes against a
 * real server: `send`, `replay` (with its progress on a terminal left out: stdout is a pipe here)
 * and `listen` (forwarding to a local receiver, signed so that `standardwebhooks` verifies it).
 * `--server`/`HOOKRELAY_URL` and `--token`/`HOOKRELAY_TOKEN` pick the server and the credentials.
 * Network rule: the server and the receivers are on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/child-server.js'
import { useFixture } from '../helpers/fixture.js'
import { ADMIN_TOKEN, eventually } from '../helpers/server.js'

const CLI_ENTRY = join(REPO_ROOT, 'test/helpers/cli-entry.ts')

function cli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOOKRELAY_TOKEN: undefined, HOOKRELAY_URL: undefined, HOOKRELAY_ADMIN_TOKEN: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

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

describe.concurrent('CLI against a running server', () => {
  const f = useFixture('cli')
  const { receiver, tenant, endpoint } = f
  const env = () => ({ HOOKRELAY_URL: f.srv.url, HOOKRELAY_TOKEN: ADMIN_TOKEN })

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
    const lines: string[] = []
    let stderr = ''
    createInterface({ input: p.stdout! }).on('line', (l) => lines.push(l))
    p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    try {
      // A process start: tsx compiles the sources first, slow on a busy machine.
      const secretLine = await eventually(async () => lines.find((l) => l.startsWith('webhook signing secret: ')) ?? null, 30_000)
      const secret = secretLine.slice('webhook signing secret: '.length)
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
      await eventually(async () => lines.some((l) => l.includes(`--> user.created ${published[2]} [200]`)))
      // Polling twice a second for over 6 s: a listener left behind per poll would pass Node's
      // limit of 10 and print a warning.
      await new Promise((r) => setTimeout(r, Math.max(0, 6500 - (Date.now() - spawnedAt))))
      expect(stderr).not.toMatch(/MaxListenersExceeded/)
    } finally {
      p.kill('SIGINT')
    }
    const code = await new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.on('exit', r)))
    expect(code).toBe(0)
  }, 60_000)
})
