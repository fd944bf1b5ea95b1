/**
 * @hookrelay/sdk/next in a real Next.js App Router app (test/fixtures/next-app, its routes written
 * as sdk/README.md tells users to), in production mode as users run it: `next build` once for this
 * file, then a `next start` per app on 127.0.0.1, each with its own secret in HOOKRELAY_SECRET.
 * The app hands every verified event on to a collector on loopback (HOOKRELAY_TEST_SINK) before
 * it answers, which is how the test sees what the route's handler was given. Nothing leaves the
 * machine: telemetry is off, the app loads no fonts, and Next's compiler is the platform package
 * npm installed with it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { startReceiver } from '../../test/helpers/receiver.js'
import { adapterSuite, newSecret, signed, type Recorder, type ReceiverApp } from './adapter-suite.js'
import { recorder } from './helpers.js'

const APP_DIR = fileURLToPath(new URL('./fixtures/next-app/', import.meta.url))
const NEXT_BIN = createRequire(import.meta.url).resolve('next/dist/bin/next')
const LISTENING = /^\s*- Local:\s+(http:\/\/127\.0\.0\.1:\d+)\s*$/

/** The environment Next runs with: no telemetry, and not vitest's NODE_ENV=test (Next sets its own). */
function nextEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env }
  delete out.NODE_ENV
  delete out.NODE_OPTIONS
  return out
}

/** Runs `next <args...>` on the fixture; `onLine` sees each line it prints. */
function next(args: string[], env: Record<string, string>, onLine?: (line: string) => void): { proc: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [NEXT_BIN, ...args], { cwd: APP_DIR, env: nextEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  const output: string[] = []
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line)
      onLine?.(line)
    })
  }
  const exited = new Promise<number | null>((resolve) => {
    proc.once('close', (code) => resolve(code))
    proc.once('error', () => resolve(null))
  })
  return { proc, output, exited }
}

async function build(): Promise<void> {
  // Into the fixture's git-ignored .next/, from scratch each run (the build cache is off in next.config.ts).
  rmSync(join(APP_DIR, '.next'), { recursive: true, force: true })
  const { output, exited } = next(['build'], {})
  const code = await exited
  if (code !== 0) throw new Error(`next build exited ${code}:\n${output.join('\n')}`)
}

/** `next start` on a free port of 127.0.0.1; the app's routes verify with `secret` and hand events to `seen`. */
async function startApp(secret: string, seen: Recorder): Promise<ReceiverApp> {
  const sink = await startReceiver((_req, body) => {
    seen.add(JSON.parse(body))
    return { status: 204 }
  })
  let ready: (url: string) => void = () => {}
  const url = new Promise<string>((resolve) => (ready = resolve))
  const app = next(['start', '--port', '0', '--hostname', '127.0.0.1'], { HOOKRELAY_SECRET: secret, HOOKRELAY_TEST_SINK: sink.url }, (line) => {
    const m = LISTENING.exec(line)
    if (m) ready(m[1]!)
  })
  const close = async (): Promise<void> => {
    app.proc.kill('SIGTERM')
    await app.exited
    await sink.close()
  }
  const started = await Promise.race([url, app.exited.then(() => null)])
  if (started === null) {
    await sink.close()
    throw new Error(`next start exited before it listened:\n${app.output.join('\n')}`)
  }
  return { url: started, close }
}

// One production build for the whole file. About 15 s of CPU; on two cores shared with the rest of
// the suite that can take a minute of wall time, hence the hook's own limit.
beforeAll(build, 180_000)

adapterSuite('Next.js', startApp)

// The same route in the Edge runtime (app/edge/webhooks/route.ts), which has Web APIs only.
adapterSuite('Next.js (Edge runtime)', async (secret, seen) => {
  const app = await startApp(secret, seen)
  return { url: `${app.url}/edge`, close: () => app.close() }
})

describe('Next.js adapter in a real Next.js app', () => {
  it("hands the handler the request and Next's context (a dynamic segment's params)", async () => {
    const secret = newSecret()
    const app = await startApp(secret, recorder())
    try {
      const body = '{"id":"evt_1","type":"adapter.check","data":{"n":1}}'
      const res = await fetch(`${app.url}/sources/stripe`, { method: 'POST', headers: signed(secret, body), body })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ event: { id: 'evt_1', type: 'adapter.check', data: { n: 1 } }, method: 'POST', source: 'stripe' })
      const forged = await fetch(`${app.url}/sources/stripe`, { method: 'POST', headers: signed(newSecret(), body), body })
      expect(forged.status).toBe(401)
    } finally {
      await app.close()
    }
  })
})
