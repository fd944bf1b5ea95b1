import type { BuiltRequest } from '../core/shaping/outbound-request.js'
import type { OutboundEvent } from '../core/shaping/payload-body.js'
import { hasTemplates } from '../core/shaping/request-shape.js'
import { runRenderJob, type RenderJob, type RenderJobResult, type ShapeCheck, type ShapeInput } from './render-job.js'
import { createRenderPool, type RenderPool, type RenderPoolOptions } from './render-pool.js'

/**
 * The one way to render what users wrote in Liquid (API.md, "What each delivery looks like"):
 * on render threads shared by the whole process, made on first use, so a node whose endpoints
 * have no template never starts one.
 */
const options: RenderPoolOptions = {}
let pool: RenderPool | null = null

/** Runs a job on a render thread with a hard deadline (render-pool.ts). */
export function renderBounded<J extends RenderJob>(job: J): Promise<RenderJobResult<J>> {
  pool ??= createRenderPool(options)
  return pool.run(job)
}

/**
 * Sizes the render threads' heap for HOOKRELAY_MAX_PAYLOAD_BYTES (threads started from now on):
 * a render holds the payload, its parsed form and up to that much output. 128 MB at the 1 MiB default.
 */
export function sizeRenderThreads(maxPayloadBytes: number): void {
  options.heapMb = Math.max(options.heapMb ?? 0, 96 + 32 * Math.ceil(maxPayloadBytes / (1024 * 1024)))
}

/** Counters of the shared render threads: jobs stopped (deadline, heap), jobs ended, and jobs running or waiting. */
export const renderThreads = {
  get stopped(): number {
    return pool?.stopped ?? 0
  },
  get finished(): number {
    return pool?.finished ?? 0
  },
  get pending(): number {
    return pool?.pending ?? 0
  },
}

/**
 * One attempt's request (buildOutboundRequest), rendered on a render thread when the endpoint uses
 * Liquid. Without a template nothing can run long, and it is built here.
 */
export function buildRequestBounded(args: { input: ShapeInput; event: OutboundEvent; secrets: string[]; nowMs: number }): Promise<BuiltRequest> {
  const job = { kind: 'build' as const, ...args }
  return hasTemplates(args.input.endpoint) ? renderBounded(job) : Promise.resolve(runRenderJob(job))
}

/** What saving an endpoint checks (ShapeCheck), its templates parsed and rendered on a render thread. */
export function checkShapeBounded(input: ShapeInput): Promise<ShapeCheck> {
  const job = { kind: 'check' as const, input }
  return hasTemplates(input.endpoint) ? renderBounded(job) : Promise.resolve(runRenderJob(job))
}
