/**
 * Sends one attempt over HTTP and reports what happened as data: `send` never throws. One undici
 * Agent serves every endpoint (a keep-alive pool per origin), its connector is the SSRF guard, and
 * redirects are never followed (a 3xx is a response like any other).
 */
import { Agent } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'
import type { AttemptResponse, ErrorKind } from '../core/model.js'
import { createGuardedConnect, type GuardedConnectOptions } from './address-guard.js'
import { BLOCKED_CODE } from './url-target.js'

export interface OutboundRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | null
  /** Limit for the whole attempt: connect, headers and body. */
  timeoutMs: number
}

export interface SendResult {
  /** Epoch ms. */
  startedAt: number
  durationMs: number
  /** Header names lowercased; the body as text, cut at `MAX_RESPONSE_BODY_BYTES`. */
  response: AttemptResponse | null
  /** Never `'http'` here: a response of any status is a `response`. */
  error: { kind: ErrorKind; message: string } | null
}

export interface Sender {
  send(req: OutboundRequest): Promise<SendResult>
  /**
   * Waits until every `send` in flight has resolved (each within its timeoutMs), then closes every
   * connection at once, dropping what a timed-out attempt may still hold (a DNS lookup, a connect).
   * A `send` after `close` resolves with a network error.
   */
  close(): Promise<void>
}

export interface SenderOptions {
  policy: AddressPolicy
  /** Connections kept per origin (scheme, host, port). Default 64. */
  connectionsPerOrigin?: number
  /** Options of the guarded connector (connect and DNS time limits, TLS CA). Default its own. */
  connect?: GuardedConnectOptions
}

/** The part of a response body that is kept: 64 KiB. */
export const MAX_RESPONSE_BODY_BYTES = 65_536
/**
 * Past the kept part, this much more is read and dropped so the connection can be reused; a longer
 * body gets its socket destroyed instead. Default 1 MiB.
 */
const DRAIN_LIMIT_BYTES = 1_048_576

export function createSender(opts: SenderOptions): Sender {
  const agent = new Agent({
    connect: createGuardedConnect(opts.policy, opts.connect),
    connections: opts.connectionsPerOrigin ?? 64,
    pipelining: 1,
  })

  let inFlight = 0
  let onIdle: (() => void) | null = null
  let closing: Promise<void> | null = null

  function send(req: OutboundRequest): Promise<SendResult> {
    inFlight++
    const startedAt = Date.now()
    const t0 = performance.now()
    const controller = new AbortController()
    return new Promise<SendResult>((resolve) => {
      let settled = false
      const finish = (response: AttemptResponse | null, error: SendResult['error']): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (--inFlight === 0 && onIdle !== null) onIdle()
        resolve({ startedAt, durationMs: Math.round(performance.now() - t0), response, error })
      }
      // Our own timer, not only undici's: a request still queued behind a connect (DNS, TCP, TLS)
      // sees its abort only once a socket is there, and the attempt must end at timeoutMs anyway.
      const timer = setTimeout(() => {
        finish(null, { kind: 'timeout', message: `no complete response within ${req.timeoutMs} ms` })
        controller.abort()
      }, req.timeoutMs)
      attempt(agent, req, controller.signal).then(
        (response) => finish(response, null),
        (err: unknown) => finish(null, classifyError(err, req.timeoutMs)),
      )
    })
  }

  return {
    send,
    close() {
      closing ??= (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (onIdle = resolve))
        await agent.destroy()
      })()
      return closing
    },
  }
}

async function attempt(agent: Agent, req: OutboundRequest, signal: AbortSignal): Promise<AttemptResponse> {
  const url = new URL(req.url)
  const res = await agent.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
  })
  const headers: Record<string, string> = {}
  for (const name in res.headers) {
    const value = res.headers[name]
    if (value !== undefined) headers[name] = typeof value === 'string' ? value : value.join(', ')
  }
  return { status: res.statusCode, headers, body: await readCapped(res.body) }
}

/** Reads at most MAX_RESPONSE_BODY_BYTES as text; drains a bounded rest, or destroys the stream. */
async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  let first: Buffer | null = null
  let chunks: Buffer[] | null = null
  let kept = 0
  let dropped = 0
  for await (const chunk of body) {
    if (kept < MAX_RESPONSE_BODY_BYTES) {
      const part = chunk.length <= MAX_RESPONSE_BODY_BYTES - kept ? chunk : chunk.subarray(0, MAX_RESPONSE_BODY_BYTES - kept)
      if (first === null) first = part
      else (chunks ??= [first]).push(part)
      kept += part.length
      dropped += chunk.length - part.length
    } else {
      dropped += chunk.length
    }
    // Leaving the loop destroys the stream, and with it the socket.
    if (dropped > DRAIN_LIMIT_BYTES) break
  }
  if (first === null) return ''
  const buf = chunks === null ? first : Buffer.concat(chunks, kept)
  return (dropped > 0 ? buf.subarray(0, completeUtf8Length(buf)) : buf).toString('utf8')
}

/** The length of `buf` without a UTF-8 sequence cut off at its end (cut bodies stay valid text). */
function completeUtf8Length(buf: Buffer): number {
  const end = buf.length
  for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
    const byte = buf[i] as number
    if ((byte & 0xc0) === 0x80) continue // continuation byte: keep looking for the lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return end - i >= need ? end : i
  }
  return end
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'ABORT_ERR',
  'ETIMEDOUT',
  'ETIMEOUT',
])

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the receiver',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed by the receiver',
  UND_ERR_CLOSED: 'connection closed',
}

/** Maps anything a request can fail with to an attempt error. */
export function classifyError(err: unknown, timeoutMs: number): { kind: ErrorKind; message: string } {
  const e = rootError(err)
  const code = e.code
  const message = e.message
  if (code === BLOCKED_CODE) return { kind: 'blocked', message }
  if (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('CERT_') ||
    code.startsWith('UNABLE_TO_') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'HOSTNAME_MISMATCH'
  ) {
    return { kind: 'tls', message: `TLS: ${message}` }
  }
  if (TIMEOUT_CODES.has(code) || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return { kind: 'timeout', message: `no complete response within ${timeoutMs} ms (${message})` }
  }
  const known = NETWORK_MESSAGES[code]
  return { kind: 'network', message: known === undefined ? message || 'network error' : `${known}: ${message}` }
}

/** The error that says what went wrong: undici and Node wrap some causes and aggregate others. */
function rootError(err: unknown): { code: string; name: string; message: string } {
  let e: unknown = err
  for (let depth = 0; depth < 4; depth++) {
    if (e instanceof AggregateError && e.errors.length > 0) {
      e = e.errors[0]
      continue
    }
    const code = (e as { code?: unknown } | null)?.code
    const cause = (e as { cause?: unknown } | null)?.cause
    if (typeof code !== 'string' && cause instanceof Error) {
      e = cause
      continue
    }
    break
  }
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code
    return { code: typeof code === 'string' ? code : '', name: e.name, message: e.message }
  }
  return { code: '', name: 'Error', message: String(e) }
}
