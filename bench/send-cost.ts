// In-process CPU per HTTP exchange of a delivery's request, against the bench's sink (its own
// process, so only the sending side is measured), by way of sending:
//   undici    Pool.request + body.dump(), as the bench's load generator (bench/load.mjs) sends
//   sender    createSender().send() on this thread (the SSRF guard, the tenant pools, timers)
//   threaded  createThreadedSender().send(): the sender thread plus the main thread's side
//             (structured clone both ways, message events); process.cpuUsage counts both threads
// Requests: a default delivery's (POST, 1 KiB JSON body, the Standard Webhooks headers), 64 in
// flight. Usage (from the repository root):
//   npx tsx bench/send-cost.ts [REQUESTS=20000] [MODE,MODE,...=undici,sender,threaded] [ROUNDS=2]
import { Pool } from 'undici'
import { createAddressPolicy } from '../src/core/address-class.js'
import { createSender, type OutboundRequest, type Sender } from '../src/delivery/sender.js'
import { createThreadedSender } from '../src/delivery/threaded-sender.js'
// @ts-expect-error: a plain .mjs helper without types
import { forkHelper } from './child.mjs'

const N = Number(process.argv[2] ?? 20_000)
const MODES = (process.argv[3] ?? 'undici,sender,threaded').split(',')
const ROUNDS = Number(process.argv[4] ?? 2)
const CONCURRENCY = 64
const WARMUP = 2_000

const sink = await forkHelper(new URL('./sink.mjs', import.meta.url).pathname)
const origin = `http://127.0.0.1:${sink.port}`
const body = JSON.stringify({ id: 'evt_x', type: 'bench.0', timestamp: new Date().toISOString(), data: { pad: 'x'.repeat(960) } })
const headers = (i: number): Record<string, string> => ({
  'content-type': 'application/json',
  'user-agent': 'hookrelay/0.1.0',
  'webhook-id': `evt_${i}`,
  'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  'webhook-signature': 'v1,2sXvUrXq3aBJ4m5OTsiV5q9z3kXbCpKqH1qvHqLxh3s=',
})
const request = (i: number): OutboundRequest => ({ method: 'POST', url: `${origin}/hook/${i % 4}`, headers: headers(i), body, timeoutMs: 30_000 })

async function closedLoop(count: number, one: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await one(next++)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

async function viaSender(sender: Sender, count: number): Promise<void> {
  await closedLoop(count, async (i) => {
    const r = await sender.send(request(i))
    if (r.response?.status !== 204) throw new Error(`unexpected result ${JSON.stringify(r)}`)
  })
}

async function usPerRequest(mode: string): Promise<number> {
  let run: (count: number) => Promise<void>
  let close: () => Promise<void>
  if (mode === 'undici') {
    const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 })
    run = (count) =>
      closedLoop(count, async (i) => {
        const r = request(i)
        const res = await pool.request({ method: 'POST', path: new URL(r.url).pathname, headers: r.headers, body: r.body })
        await res.body.dump()
      })
    close = () => pool.close()
  } else if (mode === 'sender') {
    const sender = createSender({ policy: createAddressPolicy(['127.0.0.0/8']) })
    run = (count) => viaSender(sender, count)
    close = () => sender.close()
  } else if (mode === 'threaded') {
    const sender = createThreadedSender({ allowedNetworks: ['127.0.0.0/8'] })
    run = (count) => viaSender(sender, count)
    close = () => sender.close()
  } else {
    throw new Error(`unknown mode ${mode}`)
  }
  await run(WARMUP)
  const c0 = process.cpuUsage()
  await run(N)
  const c = process.cpuUsage(c0)
  await close()
  return (c.user + c.system) / N
}

try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of MODES) console.log(`round ${round} ${mode.padEnd(9)} ${(await usPerRequest(mode)).toFixed(1)} us of CPU per request`)
  }
} finally {
  sink.proc.kill()
}
