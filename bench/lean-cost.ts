// In-process CPU per delivery request of the sender on this thread, undici's Agent against the
// lean client (lean-http.ts), against a node:http receiver in its own process (bench/lean-sink.mjs:
// 204, or 200 with a small JSON body on /json/*). Requests as a default delivery's (POST, 1 KiB
// JSON, the Standard Webhooks headers as the flat list the sender thread passes), 64 in flight,
// the modes alternated. Usage (from the repository root):
//   npx tsx bench/lean-cost.ts [REQUESTS=20000] [ROUNDS=3] [MODES=undici,lean]
// with CONCURRENCY=n requests in flight (default 64) and KINDS=hook,json. Under tsx every closure
// made per request also pays esbuild's __name helper; bundle it without keepNames (as
// scripts/build.mjs builds dist/) to measure what the server runs.
import { createAddressPolicy } from '../src/core/address-class.js'
import { createSender, type CallbackSender, type FlatHeadersRequest } from '../src/delivery/sender.js'
// @ts-expect-error: a plain .mjs helper without types
import { forkHelper } from './child.mjs'

const N = Number(process.argv[2] ?? 20_000)
const ROUNDS = Number(process.argv[3] ?? 3)
const MODES = (process.argv[4] ?? 'undici,lean').split(',')
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64)
const WARMUP = 2_000

const sink = await forkHelper(new URL('./lean-sink.mjs', import.meta.url).pathname)
const origin = `http://127.0.0.1:${sink.port}`
const body = JSON.stringify({ id: 'evt_x', type: 'bench.0', timestamp: new Date().toISOString(), data: { pad: 'x'.repeat(960) } })
const request = (i: number, kind: string): FlatHeadersRequest => ({
  method: 'POST',
  url: `${origin}/${kind}/${i % 4}`,
  headers: ['content-type', 'application/json', 'user-agent', 'hookrelay/0.1.0', 'webhook-id', `evt_${i}`, 'webhook-timestamp', String(Math.floor(Date.now() / 1000)), 'webhook-signature', 'v1,2sXvUrXq3aBJ4m5OTsiV5q9z3kXbCpKqH1qvHqLxh3s='],
  body,
  timeoutMs: 30_000,
})

function run(sender: CallbackSender, count: number, kind: string): Promise<void> {
  const want = kind === 'json' ? 200 : 204
  return new Promise((resolve, reject) => {
    let next = 0
    let done = 0
    const one = (): void => {
      const i = next++
      sender.sendTo(request(i, kind), (r) => {
        if (r.response?.status !== want) return reject(new Error(`unexpected result ${JSON.stringify(r)}`))
        if (++done === count) resolve()
        else if (next < count) one()
      })
    }
    for (let k = 0; k < CONCURRENCY && k < count; k++) one()
  })
}

async function usPerRequest(mode: string, kind: string): Promise<number> {
  const sender = createSender({ policy: createAddressPolicy(['127.0.0.0/8']), directClient: mode === 'undici' ? 'undici' : 'lean' })
  await run(sender, WARMUP, kind)
  const c0 = process.cpuUsage()
  await run(sender, N, kind)
  const c = process.cpuUsage(c0)
  await sender.close()
  return (c.user + c.system) / N
}

try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of (process.env.KINDS ?? 'hook,json').split(',')) {
      for (const mode of MODES) console.log(`round ${round} ${kind === 'hook' ? '204 ' : '200+json'} ${mode.padEnd(7)} ${(await usPerRequest(mode, kind)).toFixed(1)} us of CPU per request`)
    }
  }
} finally {
  sink.proc.kill()
}
