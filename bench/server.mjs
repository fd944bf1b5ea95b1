// Start and stop the Hookrelay server under test (`node bin/hookrelay.js serve ...`), watch for its
// listening line, keep the tail of its output for the report, and read its RSS from /proc.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { now } from './clock.mjs'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
export const ADMIN_TOKEN = `bench_${randomBytes(12).toString('hex')}`
const LISTENING = /hookrelay listening on (http:\/\/\S+)/

function serverEnv(databaseUrl) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HOOKRELAY_')) env[k] = v
  env.HOOKRELAY_ADMIN_TOKEN = ADMIN_TOKEN
  env.HOOKRELAY_ALLOWED_NETWORKS = '127.0.0.0/8'
  env.HOOKRELAY_LOG_LEVEL = process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn'
  if (databaseUrl) env.HOOKRELAY_DATABASE_URL = databaseUrl
  return env
}

/** A free TCP port on 127.0.0.1 (for the start-up scenario, which must know it before the server does). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * Spawns the server; resolves once it printed its listening line (or rejects, with its output,
 * if it exits first or is not ready within `readyTimeoutMs`). `onSpawn(spawnedAt)` runs right
 * after the spawn, before any output, and `onReady` with the URL.
 */
export async function startServer({ dataDir, role = 'all', port = 0, readyTimeoutMs = 60_000, onSpawn, label = 'server', databaseUrl = null, entry = null }) {
  // BENCH_SERVER_NODE_ARGS: extra node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  const args = [...nodeArgs, entry ?? (process.env.BENCH_SERVER_ENTRY || join(REPO, 'bin/hookrelay.js')), 'serve', '--port', String(port), '--data-dir', dataDir, '--role', role]
  const spawnedAt = now()
  const proc = spawn(process.execPath, args, { cwd: dataDir, env: serverEnv(databaseUrl), stdio: ['ignore', 'pipe', 'pipe'] })
  onSpawn?.(spawnedAt)
  const tail = []
  const counts = { stdout: 0, stderr: 0, errorLines: 0, warnLines: 0 }
  const firstProblems = []
  let readyResolve
  let readyAt = null
  let url = null
  const ready = new Promise((resolve) => { readyResolve = resolve })
  const watch = (stream, name) => {
    createInterface({ input: stream }).on('line', (line) => {
      counts[name]++
      tail.push(`[${name}] ${line}`)
      if (tail.length > 60) tail.shift()
      if (/"level":\s*(50|60)|\berror\b/i.test(line)) counts.errorLines++
      else if (/"level":\s*40|\bwarn/i.test(line)) counts.warnLines++
      if (/"level":\s*(40|50|60)|\berror\b|\bwarn/i.test(line) && firstProblems.length < 5) firstProblems.push(line.slice(0, 500))
      const m = !url && line.match(LISTENING)
      if (m) {
        url = m[1]
        readyAt = now()
        readyResolve()
      }
    })
  }
  watch(proc.stdout, 'stdout')
  watch(proc.stderr, 'stderr')
  let exit = null
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => { exit = { code, signal, at: now() }; resolve(exit) }))

  const handle = {
    proc, pid: proc.pid, role, dataDir, spawnedAt,
    get url() { return url },
    get readyAt() { return readyAt },
    get exit() { return exit },
    tail: () => tail.slice(),
    problems: () => ({ ...counts, firstProblems: firstProblems.slice() }),
    rssKb: () => processTreeRssKb(proc.pid),
    /** CPU time the process has used so far (every thread), in ms; steadier than rates on a shared VM. */
    cpuMs: () => processCpuMs(proc.pid),
    /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with {code, signal, ms, killed}. */
    async stop(timeoutMs = 45_000) {
      if (exit) return { ...exit, ms: 0, killed: false, alreadyExited: true }
      const t0 = now()
      proc.kill('SIGTERM')
      let killed = false
      const timer = setTimeout(() => { if (!exit) { killed = true; proc.kill('SIGKILL') } }, timeoutMs)
      const e = await exited
      clearTimeout(timer)
      return { code: e.code, signal: e.signal, ms: Math.round(e.at - t0), killed }
    },
    kill() { if (!exit) proc.kill('SIGKILL') },
  }

  let timer
  const outcome = await Promise.race([
    ready.then(() => 'ready'),
    exited.then(() => 'exited'),
    new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), readyTimeoutMs) }),
  ])
  clearTimeout(timer)
  if (outcome !== 'ready') {
    handle.kill()
    const err = new Error(`${label} (${role}) ${outcome === 'exited' ? `exited with ${exit?.code ?? exit?.signal} before listening` : `did not print its listening line within ${readyTimeoutMs} ms`}\n${tail.join('\n')}`)
    err.server = handle
    throw err
  }
  return handle
}

// /proc/<pid>/stat counts CPU time in clock ticks: 100 per second on Linux.
const TICKS_PER_SECOND = 100

/** User + system CPU time of a process, all its threads, in ms (0 when it is gone). */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which may hold spaces, closed by the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND) * 1000
  } catch {
    return 0
  }
}

function rssKbOf(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m)
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

function childPids(pid) {
  const out = []
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim()
        if (text) out.push(...text.split(/\s+/).map(Number))
      } catch { /* thread gone */ }
    }
  } catch { /* process gone */ }
  return out
}

/** RSS of the process (worker threads included, as they share it) and of any child processes. */
export function processTreeRssKb(pid) {
  const main = rssKbOf(pid)
  let tree = main
  const stack = childPids(pid)
  for (let guard = 0; stack.length && guard < 100; guard++) {
    const c = stack.pop()
    tree += rssKbOf(c)
    stack.push(...childPids(c))
  }
  return { main, tree }
}

/** Samples RSS every `intervalMs` until stopped; returns max and samples (ms since start, kB). */
export function sampleRss(pid, intervalMs = 200) {
  const t0 = now()
  const samples = []
  let maxMain = 0
  let maxTree = 0
  const take = () => {
    const { main, tree } = processTreeRssKb(pid)
    if (main === 0) return
    samples.push([Math.round(now() - t0), main, tree])
    maxMain = Math.max(maxMain, main)
    maxTree = Math.max(maxTree, tree)
  }
  take()
  const timer = setInterval(take, intervalMs)
  return {
    stop() {
      clearInterval(timer)
      take()
      return { maxMainKb: maxMain, maxTreeKb: maxTree, samples }
    },
    peek: () => ({ maxMainKb: maxMain, maxTreeKb: maxTree }),
  }
}
