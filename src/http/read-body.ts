import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { AppError } from '../errors.js'

/**
 * The body of a request that Fastify left unread: it reads none for GET, HEAD and TRACE, whatever
 * the request carries. A request has a body when it says so, with a content-length above 0 or a
 * transfer-encoding (RFC 9112 6.1, 6.3); then it is read whole, within `limit` bytes, with the
 * refusals Fastify gives any other body: 413 payload_too_large past the limit (at once when the
 * content-length says so), 400 bad_request when the bytes do not match the content-length or the
 * client goes away. Past the limit the rest is left to drain, so the 413 can still be answered.
 */
export function readBody(stream: Readable, headers: IncomingHttpHeaders, limit: number): Promise<Buffer> {
  const declared = headers['content-length'] === undefined ? null : Number(headers['content-length'])
  if (headers['transfer-encoding'] === undefined && (declared === null || declared === 0)) return Promise.resolve(Buffer.alloc(0))
  if (declared !== null && declared > limit) return Promise.reject(new AppError('payload_too_large'))

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (error: AppError | null): void => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (error === null) resolve(Buffer.concat(chunks, size))
      else reject(error)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) return done(new AppError('payload_too_large'))
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      if (declared !== null && size !== declared) return done(new AppError('bad_request', `The body is ${size} bytes long, not the ${declared} its content-length says.`))
      done(null)
    }
    const onError = (): void => done(new AppError('bad_request', 'The body could not be read: the client went away.'))
    // A close before the end: the client went away mid-body (Node does not always say so with an error).
    const onClose = (): void => onError()
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
    stream.resume()
  })
}
