import { pipeline, type Readable, Transform } from 'node:stream'
import type { BrokenBy, UpstreamOutcome } from '../core/gateway-events.js'

/**
 * Reads a stream until more than `keep` bytes have come, or its end, and leaves the rest unread
 * (paused). Rejects with the stream's error. Whatever happens to the stream afterwards is heard
 * (an error listener stays), so an error before the next reader attaches is no uncaught exception;
 * a reader attached later finds it on the stream (`errored`).
 */
export function readHead(stream: Readable, keep: number): Promise<{ head: Buffer; ended: boolean }> {
  stream.on('error', ignore)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (error: Error | null, ended: boolean): void => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      if (error === null) resolve({ head: Buffer.concat(chunks, size), ended })
      else reject(error)
    }
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      size += chunk.length
      if (size <= keep) return
      stream.pause()
      done(null, false)
    }
    const onEnd = (): void => done(null, true)
    const onError = (error: Error): void => done(error, false)
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
  })
}

/**
 * The rest of a long answer on its way to the client: `first` (what readHead read), then the
 * upstream's body as it comes. Fastify pipes it into the response, so the upstream is read only
 * as fast as the client reads (backpressure): what waits in between is the streams' own buffers,
 * a few chunks, whatever the answer's size.
 *
 * `settle` is called once: when the upstream's body has ended, before the last byte is let through
 * (so the completion events are durable, and counted, before the client has the whole answer), or
 * when the answer broke off: the upstream failed or fell silent for the route's timeout (the
 * response is then destroyed, so the client sees a cut answer, never a short complete one), or
 * the client went away (Fastify destroys this stream, which aborts the upstream's request).
 */
export function relay(upstream: Readable, first: Buffer, settle: (broken?: BrokenBy) => Promise<void>): Readable {
  let settled = false
  const once = (broken?: BrokenBy): Promise<void> => {
    if (settled) return Promise.resolve()
    settled = true
    return settle(broken)
  }
  // The byte held back: the previous chunk's last, let through with the next chunk or at the end.
  let held = first.subarray(first.length - 1)
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk.length === 0) return callback()
      this.push(held)
      held = chunk.subarray(chunk.length - 1)
      callback(null, chunk.subarray(0, chunk.length - 1))
    },
    flush(callback) {
      // settle never rejects: a publish that fails is reported, not thrown (Gateway.publish).
      void once().then(() => callback(null, held))
    },
    destroy(error, callback) {
      // Destroyed without an error before the end: the client went away (Fastify's doing).
      if (error === null) void once('client')
      callback(error)
    },
  })
  // Heard by Fastify once it has the stream; until then, an error must not go unheard.
  out.on('error', ignore)
  out.push(first.subarray(0, first.length - 1))
  pipeline(upstream, out, (error) => {
    if (error) void once(brokenBy(error))
  })
  return out
}

/** What broke an answer off: the upstream's silence past the route's timeout, or its failure. */
function brokenBy(error: unknown): BrokenBy {
  return bodyFailure(error).kind === 'timeout' ? 'timeout' : 'upstream'
}

/**
 * What an error of the upstream's body means before anything was passed on: a timeout (undici's
 * body timer, the route's timeout of silence) or a failure, with undici's message.
 */
export function bodyFailure(error: unknown): Extract<UpstreamOutcome, { kind: 'timeout' | 'unreachable' }> {
  if ((error as { code?: unknown } | null)?.code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout' }
  return { kind: 'unreachable', message: error instanceof Error ? error.message : String(error) }
}

function ignore(): void {}
