// Fork a bench helper (sink, bare Fastify) in its own process and talk to it over IPC.
// The helper sends {type:'ready', port} once listening and answers {type:'call', reqId, op, args}
// with {type:'reply', reqId, data} or {type:'reply', reqId, error}.
import { fork } from 'node:child_process'

export async function forkHelper(file, { readyTimeoutMs = 20_000, execArgv = [] } = {}) {
  const proc = fork(file, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv })
  const pending = new Map()
  let seq = 0
  let exited = false
  const exitPromise = new Promise((resolve) => proc.once('exit', (code, signal) => {
    exited = true
    for (const p of pending.values()) p.reject(new Error(`${file} exited (${code ?? signal}) with a call pending`))
    pending.clear()
    resolve({ code, signal })
  }))
  proc.on('message', (m) => {
    if (m?.type !== 'reply') return
    const p = pending.get(m.reqId)
    if (!p) return
    pending.delete(m.reqId)
    clearTimeout(p.timer)
    if (m.error) p.reject(new Error(m.error))
    else p.resolve(m.data)
  })
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs)
    proc.on('message', function onReady(m) {
      if (m?.type !== 'ready') return
      clearTimeout(timer)
      proc.off('message', onReady)
      resolve(m)
    })
    exitPromise.then(() => { clearTimeout(timer); reject(new Error(`${file} exited before it was ready`)) })
  }).catch((err) => { if (!exited) proc.kill('SIGKILL'); throw err })

  return {
    proc,
    pid: proc.pid,
    port: ready.port,
    call(op, args = {}, timeoutMs = 30_000) {
      if (exited) return Promise.reject(new Error(`${file} is not running`))
      const reqId = ++seq
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { pending.delete(reqId); reject(new Error(`${file}: ${op} timed out`)) }, timeoutMs)
        pending.set(reqId, { resolve, reject, timer })
        proc.send({ type: 'call', reqId, op, args })
      })
    },
    async stop(timeoutMs = 5_000) {
      if (exited) return exitPromise
      proc.kill('SIGTERM')
      const timer = setTimeout(() => { if (!exited) proc.kill('SIGKILL') }, timeoutMs)
      const result = await exitPromise
      clearTimeout(timer)
      return result
    },
  }
}

/** Child side: route IPC calls to `handlers[op](args)`, and exit when the parent goes away. */
export function serveIpc(handlers) {
  process.on('message', async (m) => {
    if (m?.type !== 'call') return
    try {
      const handler = handlers[m.op]
      if (!handler) throw new Error(`unknown op ${m.op}`)
      process.send({ type: 'reply', reqId: m.reqId, data: await handler(m.args ?? {}) })
    } catch (err) {
      process.send({ type: 'reply', reqId: m.reqId, error: String(err?.stack ?? err) })
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
}
