/**
 * Runs the real server as a child process, from the TypeScript sources (`node --import tsx
 * test/helpers/cli-entry.ts serve ...`), so process-level tests (signals, restarts on the same data
 * directory) never exercise a stale dist/ build. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { databaseFor } from './postgres.js'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CLI_ENTRY = join(REPO_ROOT, 'test/helpers/cli-entry.ts')

export const CHILD_ADMIN_TOKEN = 'child-admin-token'

const LISTENING = /^hookrelay listening on (http:\/\/\S+)\s*$/

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ChildServer {
  /** Base URL from the listening line, e.g. `http://127.0.0.1:40123`. */
  url: string
  proc: ChildProcess
  /** Every stdout line so far (the array keeps growing while the process runs). */
  stdout: string[]
  /** Every stderr line so far. */
  stderr: string[]
  /** Sends a signal (default SIGTERM); a no-op once the process has exited. */
  kill(signal?: NodeJS.Signals): void
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<ChildExit>
  /** True once the process has exited. */
  readonly done: boolean
}

export interface SpawnOptions {
  dataDir: string
  /**
   * Merged over the defaults (admin token, loopback allowed, log level warn); a key set to
   * `undefined` removes that variable (e.g. `HOOKRELAY_ADMIN_TOKEN: undefined` to have one generated).
   */
  env?: Record<string, string | undefined>
  /** Extra arguments after `serve --port 0 --data-dir DIR`. */
  args?: string[]
  /** How long to wait for the listening line. Default 30 s. */
  readyTimeoutMs?: number
}

/** Children still running: `killAllChildren()` in afterEach/afterAll makes sure none outlives its test. */
const live = new Set<ChildServer>()

/** The environment a child runs with: the parent's without any HOOKRELAY_*, then the defaults, then `env`. */
export function childEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOOKRELAY_') && k !== 'NODE_OPTIONS') out[k] = v
  const merged: Record<string, string | undefined> = {
    HOOKRELAY_ADMIN_TOKEN: CHILD_ADMIN_TOKEN,
    HOOKRELAY_ALLOWED_NETWORKS: '127.0.0.0/8',
    HOOKRELAY_LOG_LEVEL: 'warn',
    ...env,
  }
  for (const [k, v] of Object.entries(merged)) {
    if (v === undefined) delete out[k]
    else out[k] = v
  }
  return out
}

function startChild(args: string[], env: Record<string, string | undefined> | undefined) {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    // `--import tsx` resolves from the working directory: the repository's node_modules.
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const onStdout = new Set<(line: string) => void>()
  createInterface({ input: proc.stdout }).on('line', (l) => {
    stdout.push(l)
    for (const f of onStdout) f(l)
  })
  createInterface({ input: proc.stderr }).on('line', (l) => stderr.push(l))
  const exited = new Promise<ChildExit>((res) => {
    // 'close' rather than 'exit': by then stdout and stderr have been read to the end.
    proc.once('close', (code, signal) => res({ code, signal }))
    proc.once('error', () => res({ code: null, signal: null }))
  })
  return { proc, stdout, stderr, exited, onStdout }
}

/** Starts `hookrelay serve` on 127.0.0.1, port 0, and resolves once it prints its listening line. */
export async function spawnServer(opts: SpawnOptions): Promise<ChildServer> {
  // On the PostgreSQL pass the data directory stands for a database, as in server.ts.
  const database = process.env.HOOKRELAY_TEST_STORE === 'postgres' ? { HOOKRELAY_DATABASE_URL: (await databaseFor(opts.dataDir)).url } : {}
  const { proc, stdout, stderr, exited, onStdout } = startChild(
    ['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', opts.dataDir, ...(opts.args ?? [])],
    { ...database, ...opts.env },
  )
  let done = false
  const child: ChildServer = {
    url: '',
    proc,
    stdout,
    stderr,
    exited,
    get done() {
      return done
    },
    kill(signal = 'SIGTERM') {
      if (!done && proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
    },
  }
  live.add(child)
  void exited.then(() => {
    done = true
    live.delete(child)
  })

  const timeoutMs = opts.readyTimeoutMs ?? 30_000
  const describe = (): string =>
    `\n--- stdout ---\n${stdout.join('\n')}\n--- stderr ---\n${stderr.join('\n')}`
  child.url = await new Promise<string>((resolveUrl, reject) => {
    const check = (): boolean => {
      for (const line of stdout) {
        const m = LISTENING.exec(line)
        if (m) {
          cleanup()
          resolveUrl(m[1]!)
          return true
        }
      }
      return false
    }
    const onLine = (): void => void check()
    const timer = setTimeout(() => {
      cleanup()
      child.kill('SIGKILL')
      reject(new Error(`hookrelay did not print its listening line within ${timeoutMs} ms${describe()}`))
    }, timeoutMs)
    onStdout.add(onLine)
    const cleanup = (): void => {
      clearTimeout(timer)
      onStdout.delete(onLine)
    }
    void exited.then((e) => {
      if (check()) return
      cleanup()
      reject(new Error(`hookrelay exited before it was ready (code ${e.code}, signal ${e.signal})${describe()}`))
    })
  })
  return child
}

/** Runs another CLI command (e.g. `migrate --data-dir DIR`) to completion, within `timeoutMs` (default 30 s). */
export async function runCli(
  args: string[],
  env?: Record<string, string | undefined>,
  timeoutMs = 30_000,
): Promise<ChildExit & { stdout: string[]; stderr: string[] }> {
  const { proc, stdout, stderr, exited } = startChild(args, env)
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  const e = await exited
  clearTimeout(timer)
  return { ...e, stdout, stderr }
}

/** SIGKILLs every child still running and waits for them to go. */
export async function killAllChildren(): Promise<void> {
  const all = [...live]
  for (const c of all) c.kill('SIGKILL')
  await Promise.all(all.map((c) => c.exited))
}

export interface ApiResult<T = any> {
  status: number
  body: T
}

/** A tiny JSON client for a child server; `token` defaults to the admin token the children get. */
export function childApi(baseUrl: string, token: string = CHILD_ADMIN_TOKEN) {
  return async function api<T = any>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T }
  }
}
