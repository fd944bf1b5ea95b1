import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { AppError } from '../errors.js'

/** Why a client's body did not reach its end: past the body limit, or the client went away. */
export type ClientBodyFailure = 'too_large' | 'gone'

/**
 * A client's request body on its way to the upstream. `head` is its first bytes: all of it when
 * `rest` is null, else at least the `keep` bytes asked for, and `rest` streams the whole body
 * (`head` first) as the client sends it, at the pace the upstream reads it.
 */
export interface ClientBody {
  head: Buffer
  rest: Readable | null
  /** The client's content-length, when it sent one. */
  declared: number | null
  /** Set once `rest` has failed: the reason, for the answer and the events. */
  failure(): ClientBodyFailure | null
}

/**
 * Reads the first `keep` bytes of a request body (what its events carry) and hands the rest on as
 * a stream, so a proxy holds no more of it than that. The body limit holds as it does for a body
 * read whole (http/read-body.ts): a content-length over it is 413 payload_too_large at once; a
 * body that passes it while being read is 413 too, before the head is out, or, once streaming,
 * `rest` fails with `too_large` and the upstream's request is aborted (it never sees the body's
 * end). A body that stops short (the client went away) is 400 bad_request, or `gone`. After a
 * failure the rest of the client's bytes are read and dropped, so the 413 can still be answered.
 * A request has a body when it says so (RFC 9112 6.1, 6.3), whatever its method: GET and HEAD too.
 */
export function readClientBody(stream: Readable, headers: IncomingHttpHeaders, limit: number, keep: number): Promise<ClientBody> {
  const declared = headers['content-length'] === undefined ? null : Number(headers['content-length'])
  const none = { head: Buffer.alloc(0), rest: null, declared, failure: () => null }
  if (headers['transfer-encoding'] === undefined && (declared === null || declared === 0)) return Promise.resolve(none)
  if (declared !== null && declared > limit) return Promise.reject(new AppError('payload_too_large'))

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let failure: ClientBodyFailure | null = null
    // Phase two: the body streams on. Null until the head is out.
    let rest: Readable | null = null

    const detach = (): void => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onGone)
      stream.off('close', onGone)
    }
    const fail = (why: ClientBodyFailure, detail?: string): void => {
      detach()
      failure = why
      // Whatever else the client sends is read and dropped: answering mid-body needs it read.
      stream.resume()
      const error = why === 'too_large' ? new AppError('payload_too_large') : new AppError('bad_request', detail ?? 'The body could not be read: the client went away.')
      if (rest === null) reject(error)
      else rest.destroy(error)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) return fail('too_large')
      if (rest !== null) {
        if (!rest.push(chunk)) stream.pause()
        return
      }
      chunks.push(chunk)
      if (size > keep) {
        stream.pause()
        const head = Buffer.concat(chunks, size)
        rest = tail(head)
        resolve({ head, rest, declared, failure: () => failure })
      }
    }
    const onEnd = (): void => {
      if (declared !== null && size !== declared) return fail('gone', `The body is ${size} bytes long, not the ${declared} its content-length says.`)
      detach()
      if (rest === null) resolve({ head: Buffer.concat(chunks, size), rest: null, declared, failure: () => null })
      else rest.push(null)
    }
    // A close before the end: the client went away mid-body (Node does not always say so with an error).
    const onGone = (): void => fail('gone')

    /** The body as a stream, starting with what was read so far; reading it reads the client. */
    const tail = (first: Buffer): Readable => {
      const out = new Readable({
        read: () => {
          stream.resume()
        },
        destroy: (err, cb) => {
          // The upstream stopped reading (it answered early, or failed): the client's remaining
          // bytes are dropped, not left unread, so its answer can go out.
          if (failure === null && !out.readableEnded) {
            detach()
            stream.resume()
          }
          cb(err)
        },
      })
      out.push(first)
      return out
    }

    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onGone)
    stream.on('close', onGone)
    stream.resume()
  })
}
