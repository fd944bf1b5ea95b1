/**
 * One HTTP call to the API with the client's token, timeout and retries. Only calls that are safe
 * to repeat are retried: reads and deletes, and publishes, which always carry an idempotency key.
 */
import { HookrelayError, errorFromResponse } from './hookrelay-error.js'
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-delay.js'

export interface HookrelayOptions {
  /** The server's URL, e.g. `http://127.0.0.1:8080`; a path prefix (behind a proxy) is kept. */
  baseUrl: string
  /** The admin token, a tenant API key or a portal token. */
  token: string
  /** The fetch to use. Default: the global `fetch`. */
  fetch?: typeof fetch
  /** How long one attempt may take, answer body included, in ms. Default 30000. */
  timeoutMs?: number
  /** Retries after the first attempt of a retryable call. Default 2. */
  maxRetries?: number
  /** Base of the exponential backoff between retries, in ms. Default 500. */
  retryBaseMs?: number
}

export type QueryValue = string | number | boolean | null | undefined
export type Query = Record<string, QueryValue>

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** Path with its ids already encoded, e.g. `/v1/tenants/acme/endpoints`. */
  path: string
  query?: Query
  body?: unknown
  /** True if the call may be repeated without effect: set for reads, deletes and keyed publishes. */
  retry: boolean
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class Transport {
  private readonly baseUrl: string
  private readonly token: string
  private readonly fetch: typeof fetch
  private readonly timeoutMs: number
  private readonly maxRetries: number
  /** Base of the backoff between retries (and between reconnections of a stream). */
  readonly retryBaseMs: number

  constructor(options: HookrelayOptions) {
    if (typeof options.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
      throw new TypeError('Hookrelay: baseUrl must be an http:// or https:// URL')
    }
    if (typeof options.token !== 'string' || options.token === '') throw new TypeError('Hookrelay: token is required')
    const fetchImpl = options.fetch ?? globalThis.fetch
    if (typeof fetchImpl !== 'function') throw new TypeError('Hookrelay: no fetch available; pass options.fetch')
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    // Called unbound, a browser's fetch throws "Illegal invocation".
    this.fetch = (input, init) => fetchImpl(input, init)
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.maxRetries = options.maxRetries ?? 2
    this.retryBaseMs = options.retryBaseMs ?? 500
  }

  async request<T>(call: Call): Promise<T> {
    for (let retry = 0; ; retry++) {
      const mayRetry = call.retry && retry < this.maxRetries
      let answer: { status: number; body: unknown; retryAfter: string | null }
      try {
        answer = await this.attempt(call)
      } catch (err) {
        if (mayRetry) {
          await sleep(retryDelayMs(retry, this.retryBaseMs, null))
          continue
        }
        throw noAnswer(err)
      }
      if (answer.status >= 200 && answer.status < 300) return answer.body as T
      if (mayRetry && isRetryableStatus(answer.status)) {
        await sleep(retryDelayMs(retry, this.retryBaseMs, parseRetryAfter(answer.retryAfter, Date.now())))
        continue
      }
      throw errorFromResponse(answer.status, answer.body)
    }
  }

  /** One request and its whole answer, within the timeout. Throws when no complete answer came. */
  private async attempt(call: Call): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json, application/problem+json' }
    let body: string | undefined
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.body)
    }
    const res = await this.fetch(this.url(call), { method: call.method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) })
    return { status: res.status, body: await readBody(res), retryAfter: res.headers.get('retry-after') }
  }

  /**
   * Opens a GET whose answer does not end (server-sent events) and resolves once its headers came,
   * with the body left to read. No timeout (the caller watches the stream, and `signal` ends it) and
   * no retry (the caller reconnects). A problem answer, or none, throws HookrelayError.
   */
  async open(call: Pick<Call, 'path' | 'query'>, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    let res: Response
    try {
      res = await this.fetch(this.url(call), { method: 'GET', headers: { authorization: `Bearer ${this.token}`, ...headers }, signal })
    } catch (err) {
      throw noAnswer(err)
    }
    if (res.status >= 200 && res.status < 300) return res
    let body: unknown
    try {
      body = await readBody(res)
    } catch (err) {
      throw noAnswer(err)
    }
    throw errorFromResponse(res.status, body)
  }

  private url(call: Pick<Call, 'path' | 'query'>): string {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined && v !== null) params.set(k, String(v))
    const qs = params.toString()
    return `${this.baseUrl}${call.path}${qs === '' ? '' : `?${qs}`}`
  }
}

/** An answer's body: parsed when it says it is JSON (a broken one stays text), else its text; undefined when empty. */
async function readBody(res: Response): Promise<unknown> {
  const text = await res.text()
  if (text === '') return undefined
  if (!/json/i.test(res.headers.get('content-type') ?? '')) return text
  try {
    return JSON.parse(text)
  } catch {
    // errorFromResponse quotes it.
    return text
  }
}

/** The error for a call that got no answer: a timeout or a network failure. */
export function noAnswer(err: unknown): HookrelayError {
  const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
  const reason = err instanceof Error ? (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message) : String(err)
  return new HookrelayError({
    status: 0,
    code: timedOut ? 'timeout' : 'network_error',
    detail: timedOut ? 'The server did not answer in time.' : `No answer from the server: ${reason}`,
    cause: err,
  })
}
