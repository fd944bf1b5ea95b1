// In-process CPU per templated attempt's request build: on the main thread (runRenderJob, what the
// work itself costs) and through the render threads (render-pool.ts, as deliveries do), with
// IN_FLIGHT jobs waiting at a time. The difference is what crossing to a thread and back costs.
// process.cpuUsage counts every thread of the process. Usage (from the repository root):
//   npx tsx bench/render-cost.ts [JOBS=20000] [IN_FLIGHT=64]
import { DEFAULT_PAYLOAD } from '../src/core/shaping/payload-body.js'
import { runRenderJob, type RenderJob } from '../src/rendering/render-job.js'
import { createRenderPool } from '../src/rendering/render-pool.js'

const N = Number(process.argv[2] ?? 20_000)
const IN_FLIGHT = Number(process.argv[3] ?? 64)
const TEMPLATE = '{"id": "{{ event.id }}", "kind": "{{ event.type }}", "data": {{ event.data | json }}}'
const payloadJson = JSON.stringify({ pad: 'x'.repeat(1010) })

const job = (i: number): RenderJob & { kind: 'build' } => ({
  kind: 'build',
  input: {
    endpoint: {
      id: 'ep_01JD5QK3V1N4B8R2T6Y9W0X7ZA',
      name: 'bench endpoint',
      metadata: { team: 'payments' },
      method: 'POST',
      url: 'http://127.0.0.1:40000/hook',
      headers: { 'x-team': 'payments' },
      queryParams: {},
      payload: { ...DEFAULT_PAYLOAD, template: TEMPLATE },
    },
    tenant: { id: 'tn_bench', name: 'bench', metadata: {} },
    auth: { type: 'none' },
    maxOutputBytes: 1024 * 1024,
  },
  event: { id: `evt_${i}`, type: 'bench.created', occurredAt: 1796598515000, payloadJson },
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  nowMs: Date.now(),
})

const cpu = (): number => {
  const c = process.cpuUsage()
  return c.user + c.system
}

function inline(): number {
  for (let i = 0; i < 2000; i++) runRenderJob(job(i)) // warm-up
  const c0 = cpu()
  for (let i = 0; i < N; i++) runRenderJob(job(i))
  return (cpu() - c0) / N
}

async function threaded(): Promise<number> {
  const pool = createRenderPool()
  const drive = async (count: number): Promise<void> => {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const r = await pool.run(job(next++))
        if (!r.ok) throw new Error(r.message)
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  }
  await drive(2000) // warm-up: threads up, code compiled
  const c0 = cpu()
  await drive(N)
  const us = (cpu() - c0) / N
  await pool.close()
  return us
}

for (let round = 1; round <= 2; round++) {
  const a = inline()
  const b = await threaded()
  console.log(`round ${round}: main thread ${a.toFixed(1)} us per build, render threads ${b.toFixed(1)} us per build (${IN_FLIGHT} in flight)`)
}
