import type { BuiltRequest } from '../core/shaping/outbound-request.js'
import type { RenderJob, ShapeCheck } from './render-job.js'

/** Given to each render thread. */
export interface RenderThreadData {
  /** SharedArrayBuffer of SLOT_COUNT Int32 slots (SLOT). */
  shared: SharedArrayBuffer
  /** Date.now() when the thread was made: times in the shared slots are milliseconds since, to fit 32 bits. */
  clockBase: number
}

/** What the render thread writes to its shared slots, in this order, for each job of a batch. */
export const SLOT = {
  /** The template being rendered (its index in templatePaths), -1 before the first. */
  field: 0,
  /** When the current job started, ms since clockBase. */
  startedAt: 1,
  /** The id of the job started last. */
  started: 2,
  /** The id of the job finished last: its result goes back with the rest of its batch's. */
  done: 3,
} as const
export const SLOT_COUNT = 4

/** Jobs to run one after the other; their results come back in one message, in the same order. */
export type ToRenderThread = { jobs: Array<{ id: number; job: RenderJob }> }
export type FromRenderThread = { kind: 'ready' } | { kind: 'results'; results: Array<{ id: number; result: BuiltRequest | ShapeCheck }> }
