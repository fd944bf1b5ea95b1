/**
 * Server-sent events read from fetch's body stream, as an async iterator that stays connected:
 * - a connection that drops (the server restarted or cut off a slow reader, a proxy timed out) or
 *   stalls (nothing, not even a heartbeat comment, within `idleTimeoutMs`) is opened again, after
 *   the delay the stream asked for (`retry:`) or a jittered backoff, sending `Last-Event-ID` when
 *   the stream gave event ids, as EventSource does (EventSource itself cannot send a token);
 * - `signal` aborting, or the loop leaving (`break`, `return`, a throw), closes the connection and
 *   ends the iteration without an error;
 * - an answer that retrying cannot change (401, 403, 404, 422) throws its HookrelayError at once,
 *   and so does the last of `maxReconnects` failed attempts in a row to connect.
 * Only what Node 20 and browsers share: fetch, ReadableStream readers, TextDecoder, AbortController.
 */
import { HookrelayError } from './hookrelay-error.js'
import { isRetryableStatus, retryDelayMs } from './retry-delay.js'
import { SseParser, type ServerSentEvent } from './sse-parser.js'
import { noAnswer } from './transport.js'

export interface EventStreamOptions {
  signal?: AbortSignal
  /** A connection that delivers nothing for this long is taken as dead and opened again. */
  idleTimeoutMs: number
  /** Failed attempts in a row to connect before the iteration throws. */
  maxReconnects: number
  /** Base of the backoff between reconnection attempts. */
  retryBaseMs: number
}

/** Opens the stream with these extra headers: the response once its headers came, or a HookrelayError. */
export type Connect = (headers: Record<string, string>, signal: AbortSignal) => Promise<Response>

/** Whether trying again may help: no answer at all, or a status such as 429 or 503. */
const worthRetrying = (err: unknown): boolean => err instanceof HookrelayError && (err.status === 0 || isRetryableStatus(err.status))

/** Waits `ms`, or less if `signal` aborts first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

export async function* eventStream(connect: Connect, options: EventStreamOptions): AsyncGenerator<ServerSentEvent, void, undefined> {
  const { signal } = options
  // A function, not a property read: TypeScript would narrow `signal.aborted` to false inside the loop.
  const aborted = (): boolean => signal?.aborted === true
  let lastEventId = ''
  let retryMs: number | null = null
  let failures = 0
  while (!aborted()) {
    const connection = new AbortController()
    const close = (): void => connection.abort()
    signal?.addEventListener('abort', close, { once: true })
    let stalled = false
    let idle: ReturnType<typeof setTimeout> | undefined
    const watch = (): void => {
      clearTimeout(idle)
      idle = setTimeout(() => {
        stalled = true
        connection.abort()
      }, options.idleTimeoutMs)
    }
    let connected = false
    try {
      watch()
      const res = await connect(lastEventId === '' ? {} : { 'last-event-id': lastEventId }, connection.signal)
      const type = res.headers.get('content-type') ?? ''
      if (res.body === null || !/^text\/event-stream/i.test(type)) {
        throw new HookrelayError({ status: res.status, code: 'unexpected_response', detail: `Expected text/event-stream, got ${type === '' ? 'no content type' : type}` })
      }
      connected = true
      failures = 0
      const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader()
      const parser = new SseParser(lastEventId)
      const decoder = new TextDecoder()
      for (;;) {
        watch()
        const { value, done } = await reader.read()
        if (done) break
        const events = parser.feed(decoder.decode(value, { stream: true }))
        lastEventId = parser.lastEventId
        retryMs = parser.retryMs ?? retryMs
        for (const event of events) yield event
      }
      // The server ended the stream (it is stopping, or cut off a reader that fell behind): reconnect.
    } catch (err) {
      if (aborted()) return
      // Once connected, any failure to read is the connection dropping; before, only some are worth another try.
      if (!connected) {
        if (!stalled && !worthRetrying(err)) throw err
        if (++failures > options.maxReconnects) throw err instanceof HookrelayError ? err : noAnswer(err)
      }
    } finally {
      clearTimeout(idle)
      signal?.removeEventListener('abort', close)
      // Closes the connection whatever ended this one: the loop leaving, the signal, an error.
      connection.abort()
    }
    await pause(retryMs ?? retryDelayMs(failures, options.retryBaseMs, null), signal)
  }
}
