/**
 * Sends one attempt over HTTP and reports what happened as data: `send` never throws. One client
 * serves every endpoint (a keep-alive pool per origin: lean-http.ts, or undici's through an egress
 * proxy), its connector is the SSRF guard (or, with an egress proxy, the guard and then the proxy:
 * egress.ts), and redirects are never followed (a 3xx is a response like any other).
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls'
import type { Dispatcher } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'
import { completeUtf8Length, MAX_STORED_BODY_BYTES } from '../core/cut-utf8.js'
import type { AttemptResponse, ErrorKind } from '../core/model.js'
import type { GuardedConnectOptions } from './address-guard.js'
import { createEgress, type Egress, type EgressTarget } from './egress.js'
import { createPolicyAgents } from './policy-agents.js'
import { BLOCKED_CODE } from './url-target.js'

export interface OutboundRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | null
  /** Limit for the whole attempt: connect, headers and body. */
  timeoutMs: number
  /**
   * The tenant's own allowed networks, which replace the sender's policy for this request ([] =
   * none). Absent: the sender's policy (HOOKRELAY_ALLOWED_NETWORKS), on its own agent as before.
   */
  allowedNetworks?: string[]
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

/** An OutboundRequest whose headers may also be names and values in a flat list, as undici takes them (how the sender thread gets them). */
export type FlatHeadersRequest = Omit<OutboundRequest, 'headers'> & { headers: Record<string, string> | string[] }

/**
 * The sender as the sender thread drives it: `sendTo` calls `done` once with the result, in place
 * of a promise and its reaction per request.
 */
export interface CallbackSender extends Sender {
  send(req: FlatHeadersRequest): Promise<SendResult>
  sendTo(req: FlatHeadersRequest, done: (result: SendResult) => void): void
}

export interface SenderOptions {
  /** The server-wide policy (HOOKRELAY_ALLOWED_NETWORKS); a request's own allowedNetworks replace it. */
  policy: AddressPolicy
  /** Connections kept per origin (scheme, host, port). Default 64. */
  connectionsPerOrigin?: number
  /** Options of the guarded connector (connect and DNS time limits, TLS CA). Default its own. */
  connect?: GuardedConnectOptions
  /** PEM text of CA certificates trusted besides Node's bundled ones (HOOKRELAY_CA_CERTS). Default none. */
  caCerts?: string | null
  /** Fail http:// URLs with kind `blocked`, sending nothing (HOOKRELAY_REQUIRE_HTTPS). Default false. */
  requireHttps?: boolean
  /** Send every request through this HTTP proxy, http://host:port (HOOKRELAY_EGRESS_PROXY; egress.ts). Default none. */
  proxy?: string | null
  /** The direct egress's HTTP client (egress.ts). Default the lean one. */
  directClient?: 'lean' | 'undici'
}

/** The part of a response body that is kept: 64 KiB, as stored attempt bodies are cut. */
export const MAX_RESPONSE_BODY_BYTES = MAX_STORED_BODY_BYTES
/**
 * Past the kept part, this much more is read and dropped so the connection can be reused; a longer
 * body gets its socket destroyed instead. Default 1 MiB.
 */
const DRAIN_LIMIT_BYTES = 1_048_576

export function createSender(opts: SenderOptions): CallbackSender {
  const connect: GuardedConnectOptions = opts.caCerts ? { ...opts.connect, tls: { ...opts.connect?.tls, secureContext: trustingContext(opts.caCerts) } } : { ...opts.connect }
  const makeEgress = (policy: AddressPolicy): Egress => createEgress({ policy, connect, connections: opts.connectionsPerOrigin ?? 64, proxy: opts.proxy, directClient: opts.directClient })
  const egress = makeEgress(opts.policy)
  // Tenants with allowedNetworks of their own: an egress (agent) per distinct list, made when first needed.
  const tenantEgress = createPolicyAgents(makeEgress)

  let inFlight = 0
  let onIdle: (() => void) | null = null
  let closing: Promise<void> | null = null

  function sendTo(req: FlatHeadersRequest, done: (result: SendResult) => void): void {
    inFlight++
    const startedAt = Date.now()
    const t0 = performance.now()
    let settled = false
    const finish = (response: AttemptResponse | null, error: SendResult['error']): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (--inFlight === 0 && onIdle !== null) onIdle()
      done({ startedAt, durationMs: Math.round(performance.now() - t0), response, error })
    }
    const exchange = new Exchange(req, finish, opts.requireHttps ?? false)
    // Our own timer, not only undici's: a request still queued behind a connect (DNS, TCP, TLS)
    // reaches the handler only once a socket is there, and the attempt must end at timeoutMs anyway.
    const timer = setTimeout(() => {
      finish(null, { kind: 'timeout', message: `no complete response within ${req.timeoutMs} ms` })
      exchange.abort()
    }, req.timeoutMs)
    exchange.start(req.allowedNetworks === undefined ? egress : tenantEgress.get(req.allowedNetworks))
  }

  return {
    send: (req) => new Promise<SendResult>((resolve) => sendTo(req, resolve)),
    sendTo,
    close() {
      closing ??= (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (onIdle = resolve))
        await Promise.all([egress.destroy(), tenantEgress.destroy()])
      })()
      return closing
    },
  }
}

/**
 * One TLS context for every connection: Node's bundled CAs plus the operator's. Built once, since
 * a `ca` option on each connection would parse the ~140 bundled certificates per handshake.
 */
function trustingContext(pem: string): SecureContext {
  return createSecureContext({ ca: [...rootCertificates, pem] })
}

type Finish = (response: AttemptResponse | null, error: SendResult['error']) => void

/**
 * The parts of a URL the egress needs, parsed once per distinct URL: a plain endpoint sends every
 * attempt to the same one, and `new URL` with its getters cost more than the rest of the dispatch.
 * Bounded: when full the cache is simply emptied. A URL that does not parse throws, as `new URL` does.
 */
const TARGET_CACHE_LIMIT = 1024
const targets = new Map<string, EgressTarget>()

export function targetOf(href: string): EgressTarget {
  let target = targets.get(href)
  if (target !== undefined) return target
  const url = new URL(href)
  target = { protocol: url.protocol, origin: url.origin, host: url.host, hostname: url.hostname, path: url.pathname + url.search }
  if (targets.size >= TARGET_CACHE_LIMIT) targets.clear()
  targets.set(href, target)
  return target
}

/**
 * One request as an undici dispatch handler: the body is collected from its chunks as they come,
 * with no stream, async iterator or AbortSignal per request (the request API's machinery cost
 * about as much CPU as the HTTP exchange itself).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null
  private aborted = false
  private status = 0
  private headers: Record<string, string> = {}
  private first: Buffer | null = null
  private chunks: Buffer[] | null = null
  private kept = 0
  private dropped = 0
  /** The kept part was reported; the rest is being dropped until the abort. */
  private draining = false

  constructor(
    private readonly req: FlatHeadersRequest,
    private readonly finish: Finish,
    private readonly requireHttps: boolean,
  ) {}

  start(egress: Egress): void {
    let url: EgressTarget
    try {
      url = targetOf(this.req.url)
    } catch (error) {
      this.finish(null, classifyError(error, this.req.timeoutMs))
      return
    }
    // Checked here, on the URL as rendered for this attempt: a stored endpoint (or a URL template)
    // may predate the setting.
    if (this.requireHttps && url.protocol !== 'https:') {
      this.finish(null, { kind: 'blocked', message: `${url.protocol}// is not allowed: this server requires HTTPS (HOOKRELAY_REQUIRE_HTTPS)` })
      return
    }
    const fail = (error: unknown): void => this.finish(null, classifyError(error, this.req.timeoutMs))
    try {
      egress.dispatch(
        url,
        { method: this.req.method, headers: this.req.headers, body: this.req.body, headersTimeout: this.req.timeoutMs, bodyTimeout: this.req.timeoutMs },
        this,
        fail,
      )
    } catch (error) {
      this.finish(null, classifyError(error, this.req.timeoutMs))
    }
  }

  /** Timed out: drop the request, whether it is on a socket yet or still waiting for one. */
  abort(): void {
    this.aborted = true
    this.controller?.abort(new TimeoutAbort())
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.aborted) controller.abort(new TimeoutAbort())
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode
    const out: Record<string, string> = {}
    for (const name in headers) {
      const value = headers[name]
      if (value !== undefined) out[name] = typeof value === 'string' ? value : value.join(', ')
    }
    this.headers = out
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.draining) return
    if (this.kept < MAX_RESPONSE_BODY_BYTES) {
      const part = chunk.length <= MAX_RESPONSE_BODY_BYTES - this.kept ? chunk : chunk.subarray(0, MAX_RESPONSE_BODY_BYTES - this.kept)
      if (this.first === null) this.first = part
      else (this.chunks ??= [this.first]).push(part)
      this.kept += part.length
      this.dropped += chunk.length - part.length
    } else {
      this.dropped += chunk.length
    }
    // Past the drain limit the rest is not read: the response is what was kept, and aborting
    // destroys the socket instead of returning it to the pool. The abort waits for the end of this
    // socket read: if the read also holds the body's end, the message completes first, the abort
    // is then a no-op and the connection is kept (an abort from inside the read would destroy a
    // connection that had nothing left to read, and trip an assertion in undici on Connection: close).
    if (this.dropped > DRAIN_LIMIT_BYTES && !this.draining) {
      this.draining = true
      this.complete()
      queueMicrotask(() => controller.abort(new Error('response body too long to drain')))
    }
  }

  onResponseEnd(): void {
    this.complete()
  }

  onResponseError(_c: Dispatcher.DispatchController | null, error: Error): void {
    this.finish(null, classifyError(error, this.req.timeoutMs))
  }

  private complete(): void {
    const buf = this.first === null ? null : this.chunks === null ? this.first : Buffer.concat(this.chunks, this.kept)
    const body = buf === null ? '' : (this.dropped > 0 ? buf.subarray(0, completeUtf8Length(buf)) : buf).toString('utf8')
    this.finish({ status: this.status, headers: this.headers, body }, null)
  }
}

/** The reason given to undici when our own timer ends an attempt (classified as a timeout). */
class TimeoutAbort extends Error {
  override name = 'AbortError'
  readonly code = 'UND_ERR_ABORTED'
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

/**
 * OpenSSL's certificate verification results as Node names them (X509_V_ERR_* without the prefix:
 * CERT_HAS_EXPIRED, CERT_NOT_YET_VALID, UNABLE_TO_VERIFY_LEAF_SIGNATURE, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
 * ...), Node's own TLS errors (ERR_TLS_CERT_ALTNAME_INVALID, ERR_TLS_HANDSHAKE_TIMEOUT, ...) and
 * ERR_SSL_* handshake failures. EPROTO is a handshake that broke off (an http:// server on an
 * https:// URL, no common protocol version).
 */
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'HOSTNAME_MISMATCH', 'INVALID_CA', 'INVALID_PURPOSE', 'PATH_LENGTH_EXCEEDED', 'EPROTO'])

function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.startsWith('CERT_') || code.startsWith('UNABLE_TO_')
}

/** Maps anything a request can fail with to an attempt error. */
export function classifyError(err: unknown, timeoutMs: number): { kind: ErrorKind; message: string } {
  const e = rootError(err)
  const code = e.code
  const message = e.message
  if (code === BLOCKED_CODE) return { kind: 'blocked', message }
  if (isTlsCode(code)) return { kind: 'tls', message: `TLS: ${message} (${code})` }
  if (TIMEOUT_CODES.has(code) || e.name === 'AbortError' || e.name === 'TimeoutError') {
    return { kind: 'timeout', message: `no complete response within ${timeoutMs} ms (${message})` }
  }
  const known = NETWORK_MESSAGES[code]
  return { kind: 'network', message: known === undefined ? message || 'network error' : `${known}: ${message}` }
}

/** The error that says what went wrong: undici and Node wrap some causes and aggregate others. */
export function rootError(err: unknown): { code: string; name: string; message: string } {
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
