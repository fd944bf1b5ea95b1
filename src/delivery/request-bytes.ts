/**
 * A delivery's request as the bytes written to the socket (lean-http.ts), built and checked as
 * undici builds and checks a request, so what a receiver sees and what the sender refuses stay
 * what they were: the same header order, the same validation, the same errors and codes.
 */
import { isFieldName, isFieldValue } from '../core/shaping/header-rules.js'
import type { EgressRequest, EgressTarget } from './egress.js'

/** An error with undici's code, so classifyError and the attempt log read it as they read undici's. */
export class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
    override readonly name: string,
  ) {
    super(message)
  }
}

const invalidArgument = (message: string): CodedError => new CodedError(message, 'UND_ERR_INVALID_ARG', 'InvalidArgumentError')

/** Methods whose requests carry a body: an empty one still says `content-length: 0` (as undici). */
const EXPECTS_PAYLOAD = new Set(['PUT', 'POST', 'PATCH', 'QUERY', 'PROPFIND', 'PROPPATCH'])

/**
 * The request's head and body as the one buffer written to the socket, headers as undici writes
 * them: host (the URL's, or the caller's own), connection, the caller's headers in order, then
 * content-length. The head is latin1 as undici sends it, the body UTF-8.
 */
export function requestBytes(url: EgressTarget, req: Pick<EgressRequest, 'method' | 'headers' | 'body'>): Buffer {
  let host: string | null = null
  let close = false
  let declaredLength: number | null = null
  let lines = ''
  const add = (name: string, value: string): void => {
    if (typeof value !== 'string' || !isFieldValue(value)) throw invalidArgument(`invalid ${name} header`)
    // A delivery's header names repeat (its endpoint's, the webhook-* ones): checked once each.
    if (ORDINARY_NAMES.has(name)) {
      lines += `${name}: ${value}\r\n`
      return
    }
    if (!isFieldName(name)) throw invalidArgument('invalid header key')
    const lower = name.toLowerCase()
    switch (lower) {
      case 'host':
        if (host !== null) throw invalidArgument('duplicate host header')
        host = value
        return
      case 'content-length':
        if (declaredLength !== null) throw invalidArgument('duplicate content-length header')
        if (!/^\d+$/.test(value)) throw invalidArgument('invalid content-length header')
        declaredLength = parseInt(value, 10)
        return
      case 'transfer-encoding':
      case 'keep-alive':
      case 'upgrade':
        throw invalidArgument(`invalid ${lower} header`)
      case 'connection':
        for (const token of value.toLowerCase().split(',')) {
          const t = token.trim()
          if (!isFieldName(t)) throw invalidArgument('invalid connection header')
          if (t === 'close') close = true
        }
        return
      case 'expect':
        throw new CodedError('expect header not supported', 'UND_ERR_NOT_SUPPORTED', 'NotSupportedError')
    }
    if (ORDINARY_NAMES.size >= 1024) ORDINARY_NAMES.clear()
    ORDINARY_NAMES.add(name)
    lines += `${name}: ${value}\r\n`
  }
  const headers = req.headers
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!)
  } else {
    for (const name in headers) {
      const value = headers[name]
      if (value !== undefined) add(name, value)
    }
  }
  const method = req.method
  const bodyLength = req.body === null ? 0 : Buffer.byteLength(req.body)
  let length: number | null = bodyLength
  if (bodyLength === 0 && !EXPECTS_PAYLOAD.has(method)) length = null
  // undici's strict content-length: a declared length must be the body's.
  if (length !== null && length > 0 && declaredLength !== null && declaredLength !== length) {
    throw new CodedError('Request body length does not match content-length header', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'RequestContentLengthMismatchError')
  }
  let head = `${method} ${url.path} HTTP/1.1\r\nhost: ${host ?? url.host}\r\nconnection: ${close ? 'close' : 'keep-alive'}\r\n${lines}`
  head += length === null ? '\r\n' : `content-length: ${length}\r\n\r\n`
  const headLength = head.length
  const out = Buffer.allocUnsafe(headLength + bodyLength)
  out.write(head, 0, headLength, 'latin1')
  if (bodyLength > 0) out.write(req.body!, headLength, bodyLength, 'utf8')
  return out
}

/** Header names seen to be valid and not one undici treats specially (bounded: emptied when full). */
const ORDINARY_NAMES = new Set<string>()
