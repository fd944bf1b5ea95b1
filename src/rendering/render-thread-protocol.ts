import type { BuiltRequest } from '../core/shaping/outbound-request.js'
import type { RenderJob, ShapeCheck } from './render-job.js'

/** Given to each render thread. */
export interface RenderThreadData {
  /** SharedArrayBuffer of SLOT_COUNT Int32 slots (SLOT). */
  shared: SharedArrayBuffer
  /** Date.now() when the thread was made: times in the shared slots are milliseconds since, to fit 32 bits. */
  clockBase: number
}

/** What the render thread writes to its shared slots, in this order, for each job. */
export const SLOT = {
  /** The template being rendered (its index in templatePaths), -1 before the first. */
  field: 0,
  /** When the current job started, ms since clockBase. */
  startedAt: 1,
  /** The id of the job started last. */
  started: 2,
  /** The id of the job finished last: its result is on its way. */
  done: 3,
} as const
export const SLOT_COUNT = 4

export type ToRenderThread = { id: number; job: RenderJob }
export type FromRenderThread = { kind: 'ready' } | { kind: 'result'; id: number; result: BuiltRequest | ShapeCheck }
