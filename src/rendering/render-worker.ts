/**
 * The body of a render thread: runs RenderJobs one at a time, in the batches the pool sends
 * (render-pool.ts), and answers each batch in one message. Rendering is synchronous and may be stopped in the middle of a filter only by ending the thread, so before
 * each job the thread writes into memory shared with the main thread which job it is on and since
 * when, and which template it is rendering: the main thread reads them to decide, without a
 * message, whether the job has run past its deadline and what to blame.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { DEFAULT_PAYLOAD } from '../core/shaping/payload-body.js'
import { runRenderJob } from './render-job.js'
import { SLOT, type FromRenderThread, type RenderThreadData, type ToRenderThread } from './render-thread-protocol.js'

const port = parentPort!
const data = workerData as RenderThreadData
const shared = new Int32Array(data.shared)

const onField = (field: number): void => void Atomics.store(shared, SLOT.field, field)

port.on('message', (msg: ToRenderThread) => {
  const results = msg.jobs.map(({ id, job }) => {
    Atomics.store(shared, SLOT.field, -1)
    Atomics.store(shared, SLOT.startedAt, Date.now() - data.clockBase)
    Atomics.store(shared, SLOT.started, id)
    const result = runRenderJob(job, onField)
    Atomics.store(shared, SLOT.done, id)
    return { id, result }
  })
  port.postMessage({ kind: 'results', results } satisfies FromRenderThread)
})

// A first job, before saying so: V8 compiles each function on its first call, and a cold thread's
// first render (Liquid, the signature, JSON) took longer than a deadline on a busy machine.
runRenderJob({
  kind: 'build',
  input: {
    endpoint: {
      id: 'ep_warm',
      name: 'warm',
      metadata: { a: 1 },
      method: 'POST',
      url: 'http://127.0.0.1/{{ endpoint.metadata.a }}',
      headers: { 'x-a': '{{ tenant.name | upcase }}' },
      queryParams: {},
      payload: { ...DEFAULT_PAYLOAD, template: '{"a": {{ event.data | json }}, "b": {% for i in (1..3) %}{{ i }}{% endfor %}}' },
    },
    tenant: { id: 't', name: 't', metadata: {} },
    auth: { type: 'none' },
    maxOutputBytes: 1024,
  },
  event: { id: 'evt_warm', type: 'a.b', occurredAt: 0, payloadJson: '{"x":[1,"y"]}' },
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  nowMs: Date.now(),
})
port.postMessage({ kind: 'ready' } satisfies FromRenderThread)
