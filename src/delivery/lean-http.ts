/**
 * A minimal HTTP/1.1 keep-alive client for exactly what a delivery sends: one request with a body
 * of known length (or none), then its response read whole. It takes the place of undici's Agent
 * on the direct egress because undici's generality (its dispatcher chain, Request object, llhttp
 * callbacks, corked writes, a setImmediate before each reuse) was most of the sender thread's CPU
 * per delivery; the measurement is in bench/README.md ("The lean sender").
 *
 * Connections come from the same connector undici used (address-guard.ts: DNS, the SSRF guard,
 * connect timeout, TLS), so every refusal and TLS failure is what it was. It speaks undici's
 * dispatch-handler protocol (onRequestStart, onResponseStart, onResponseData, onResponseEnd,
 * onResponseError), so the sender's Exchange drives it unchanged, and its errors carry undici's
 * codes and messages, so classifyError reports them as before.
 *
 * Per origin: at most `connections` sockets, requests queued FIFO when all are busy, an idle socket
 * reused (the most recently used first) until the server closes it, its response says
 * `Connection: close` or is HTTP/1.0 or runs to the close, or it has been idle for the keep-alive
 * timeout. Idle sockets are unref'd: they do not hold the process open.
 */
import type { Socket } from 'node:net'
import type { buildConnector, Dispatcher } from 'undici'
import type { EgressRequest, EgressTarget } from './egress.js'
import { Http1ResponseParser, type ResponseEvents } from './http1-response-parser.js'
import { CodedError, requestBytes } from './request-bytes.js'

export interface LeanAgentOptions {
  connect: buildConnector.connector
  /** Sockets per origin. */
  connections: number
  /** How long an idle socket is kept, unless the server's Keep-Alive header says less. Default 4000 (undici's). */
  keepAliveTimeoutMs?: number
}

export interface LeanAgent {
  /** Throws (as undici's dispatch does) for a request that cannot be sent: an invalid header, a destroyed agent. */
  dispatch(url: EgressTarget, req: Pick<EgressRequest, 'method' | 'headers' | 'body'>, handler: Dispatcher.DispatchHandler): void
  /** Closes once the requests under way and queued have finished. */
  close(): Promise<void>
  /** Closes every socket now; queued requests fail. */
  destroy(): Promise<void>
}

const otherSideClosed = (): CodedError => new CodedError('other side closed', 'UND_ERR_SOCKET', 'SocketError')
const destroyedError = (): CodedError => new CodedError('The client is destroyed', 'UND_ERR_DESTROYED', 'ClientDestroyedError')
const closedError = (): CodedError => new CodedError('The client is closed', 'UND_ERR_CLOSED', 'ClientClosedError')

/** undici's keep-alive rules: a server's `timeout=` hint less this margin, and no reuse if that is under a second. */
const KEEP_ALIVE_THRESHOLD_MS = 2_000
const KEEP_ALIVE_MAX_MS = 600_000

export function createLeanAgent(opts: LeanAgentOptions): LeanAgent {
  const origins = new Map<string, Origin>()
  const keepAliveTimeoutMs = opts.keepAliveTimeoutMs ?? 4_000
  let destroyed = false
  let closing: Promise<void> | null = null
  let onQuiet: (() => void) | null = null

  const agent: AgentState = {
    connect: opts.connect,
    connections: opts.connections,
    keepAliveTimeoutMs,
    quiet() {
      if (onQuiet !== null && [...origins.values()].every((o) => o.quiet())) onQuiet()
    },
    unused(origin) {
      if (origins.get(origin.url.origin) === origin) origins.delete(origin.url.origin)
    },
  }

  return {
    dispatch(url, req, handler) {
      if (destroyed) throw destroyedError()
      if (closing !== null) throw closedError()
      const exchange = new Pending(req.method, requestBytes(url, req), handler)
      let origin = origins.get(url.origin)
      if (origin === undefined) {
        origin = new Origin(agent, url)
        origins.set(url.origin, origin)
      }
      origin.enqueue(exchange)
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          onQuiet = resolve
          agent.quiet()
        })
        await this.destroy()
      })()
      return closing
    },
    async destroy() {
      destroyed = true
      for (const origin of origins.values()) origin.destroy()
      origins.clear()
    },
  }
}

interface AgentState {
  readonly connect: buildConnector.connector
  readonly connections: number
  readonly keepAliveTimeoutMs: number
  /** Called when a request ends: lets close() finish once nothing is under way. */
  quiet(): void
  /** An origin with no socket and nothing queued: forgotten (as undici's Agent drops an unused pool). */
  unused(origin: Origin): void
}

/**
 * One request: its bytes, its handler, and the controller the handler may abort it by (the
 * sender's timer, a body too long to drain).
 */
class Pending {
  aborted = false
  /** The response ended or failed: later events are dropped. */
  done = false
  conn: Connection | null = null
  /** undici's controller shape (pause and resume are never used by the sender). */
  readonly paused = false
  reason: Error | null = null

  constructor(
    readonly method: string,
    readonly bytes: Buffer,
    readonly handler: Dispatcher.DispatchHandler,
  ) {}

  /** The request as the controller its handler aborts it by. */
  get controller(): Dispatcher.DispatchController {
    return this
  }

  pause(): void {}
  resume(): void {}

  abort(reason: Error): void {
    if (this.aborted || this.done) return
    this.aborted = true
    this.done = true
    this.reason = reason
    const conn = this.conn
    // On a socket: the rest of the response is not read, so the socket cannot be reused.
    if (conn !== null) {
      conn.drop()
      conn.origin.agent.quiet()
    }
    // Queued: it stays in the queue and is skipped when its turn comes.
    this.handler.onResponseError?.(this.controller, reason)
  }

  fail(error: Error): void {
    if (this.done) return
    this.done = true
    this.handler.onResponseError?.(this.controller, error)
  }
}

/** The sockets and queue of one origin (scheme, host, port). */
class Origin {
  /** Sockets open or being opened. */
  count = 0
  /** Sockets opening. */
  connecting = 0
  /** Requests on a socket. */
  active = 0
  readonly idle: Connection[] = []
  private queue: Pending[] = []
  private head = 0
  private dead = false

  constructor(
    readonly agent: AgentState,
    readonly url: EgressTarget,
  ) {}

  /** Sockets of this origin, busy or idle. */
  readonly conns = new Set<Connection>()

  queueLength(): number {
    return this.queue.length - this.head
  }

  /** Nothing on a socket and nothing waiting. */
  quiet(): boolean {
    if (this.active > 0) return false
    for (let i = this.head; i < this.queue.length; i++) if (!this.queue[i]!.done) return false
    return true
  }

  enqueue(p: Pending): void {
    this.queue.push(p)
    this.pump()
  }

  /** Starts queued requests on idle sockets, and opens sockets for the rest up to the limit. */
  pump(): void {
    while (this.head < this.queue.length) {
      const p = this.queue[this.head]!
      if (p.done) {
        this.shift()
        continue
      }
      const conn = this.idle.pop()
      if (conn === undefined) break
      if (conn.isClosed) continue
      this.shift()
      conn.start(p)
    }
    let waiting = this.queueLength() - this.connecting
    while (waiting > 0 && this.count < this.agent.connections && !this.dead) {
      this.open()
      waiting--
    }
  }

  private shift(): void {
    this.queue[this.head++] = undefined as unknown as Pending
    // Compact now and then rather than shifting the array per request.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private open(): void {
    this.count++
    this.connecting++
    const url = this.url
    // As undici's Client calls its connector: the hostname without an IPv6 literal's brackets.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
    const port = url.host.length > url.hostname.length ? url.host.slice(url.hostname.length + 1) : ''
    this.agent.connect({ host: url.host, hostname, protocol: url.protocol, port, servername: undefined, localAddress: null, httpSocket: undefined }, (err, socket) => {
      this.connecting--
      if (this.dead) {
        socket?.destroy()
        return
      }
      if (err !== null || socket === null) {
        this.count--
        // The connect failed: the oldest waiting request fails with it (as undici's client fails
        // the request it connected for); the rest get sockets of their own, or wait.
        while (this.head < this.queue.length) {
          const p = this.queue[this.head]!
          this.shift()
          if (!p.done) {
            p.fail(err ?? new Error('connect failed'))
            this.agent.quiet()
            break
          }
        }
        this.pump()
        return
      }
      const conn = new Connection(this, socket)
      this.conns.add(conn)
      this.idle.push(conn)
      this.pump()
    })
  }

  /** A socket closed or was dropped. */
  gone(conn: Connection): void {
    if (!this.conns.delete(conn)) return
    this.count--
    this.forget(conn)
    this.pump()
    if (this.count === 0 && this.quiet()) this.agent.unused(this)
  }

  /** Takes a socket that will not be reused off the idle list. */
  forget(conn: Connection): void {
    const i = this.idle.indexOf(conn)
    if (i !== -1) this.idle.splice(i, 1)
  }

  destroy(): void {
    this.dead = true
    const error = destroyedError()
    for (let i = this.head; i < this.queue.length; i++) this.queue[i]!.fail(error)
    this.queue = []
    this.head = 0
    this.idle.length = 0
    for (const conn of this.conns) conn.destroyWith(error)
  }
}

/** One socket: a request at a time, its response read by the parser. */
class Connection implements ResponseEvents {
  private readonly parser = new Http1ResponseParser()
  private current: Pending | null = null
  private closed = false
  private error: Error | null = null
  private keepAliveMs: number
  /** The server's last Keep-Alive header, read once. */
  private hint: string | undefined = undefined
  private timer: NodeJS.Timeout

  constructor(
    readonly origin: Origin,
    private readonly socket: Socket,
  ) {
    this.keepAliveMs = origin.agent.keepAliveTimeoutMs
    socket.on('data', (data: Buffer) => this.onSocketData(data))
    socket.on('error', (error: Error) => {
      this.error ??= error
    })
    socket.on('end', () => {
      // The server closed its side: never reused (a body that runs to the close ends at 'close').
      this.closed = true
      this.origin.forget(this)
    })
    socket.on('close', () => this.onSocketClose())
    // One timer per socket, refreshed when the socket goes idle (cheaper than a timer per request);
    // when it fires the socket has been idle that long, unless it is busy again.
    this.timer = setTimeout(() => this.onIdleTimer(), this.keepAliveMs).unref()
    // Never holding the process, busy or idle: a request in flight is held by the sender's own
    // timer, so no ref/unref per request is needed.
    socket.unref()
  }

  get isClosed(): boolean {
    return this.closed
  }

  start(p: Pending): void {
    this.current = p
    p.conn = this
    this.origin.active++
    this.parser.expect(p.method, this)
    p.handler.onRequestStart?.(p.controller, {})
    if (p.done) return // aborted at once (the attempt had already timed out)
    this.socket.write(p.bytes)
  }

  // ResponseEvents, from the parser.
  onHead(status: number, headers: Record<string, string>): void {
    const p = this.current!
    const hint = headers['keep-alive']
    if (hint !== undefined && hint !== this.hint) {
      this.hint = hint
      const ms = keepAliveFromHint(hint, this.origin.agent.keepAliveTimeoutMs)
      if (ms !== this.keepAliveMs) {
        // The idle timer's period follows the server's hint (set once: a server's hint does not change).
        this.keepAliveMs = ms
        clearTimeout(this.timer)
        this.timer = setTimeout(() => this.onIdleTimer(), Math.max(ms, 1)).unref()
      }
    }
    p.handler.onResponseStart?.(p.controller, status, headers, '')
  }

  onData(chunk: Buffer): void {
    const p = this.current!
    if (!p.done) p.handler.onResponseData?.(p.controller, chunk)
  }

  onEnd(reusable: boolean): void {
    const p = this.current!
    this.release()
    if (!p.done) {
      p.done = true
      p.handler.onResponseEnd?.(p.controller, {})
    }
    if (reusable && !this.closed && this.keepAliveMs > 0) {
      this.timer.refresh()
      this.origin.idle.push(this)
      this.origin.pump()
    } else {
      this.drop()
    }
    this.origin.agent.quiet()
  }

  /** Destroys the socket; its request (if any) is the caller's to settle. */
  drop(): void {
    if (this.current !== null) this.release()
    this.parser.reset()
    this.closed = true
    this.origin.forget(this)
    this.socket.destroy()
  }

  destroyWith(error: Error): void {
    const p = this.current
    this.drop()
    p?.fail(error)
  }

  private release(): void {
    const p = this.current!
    p.conn = null
    this.current = null
    this.origin.active--
  }

  private onSocketData(data: Buffer): void {
    if (this.current === null) {
      // Nothing was asked: a server that talks out of turn is not trusted with the next request.
      this.drop()
      return
    }
    try {
      this.parser.feed(data)
    } catch (error) {
      const p = this.current
      this.drop()
      p?.fail(error as Error)
      this.origin.agent.quiet()
    }
  }

  private onSocketClose(): void {
    clearTimeout(this.timer)
    this.closed = true
    const p = this.current
    if (p !== null) {
      // A body that runs to the close ends here (also on a reset, as undici reads it).
      const error = this.error
      const resetOnly = error === null || (error as NodeJS.ErrnoException).code === 'ECONNRESET'
      if (!(resetOnly && this.parser.readsUntilClose && this.parser.finish())) {
        this.release()
        p.fail(error ?? otherSideClosed())
        this.origin.agent.quiet()
      }
    }
    this.origin.gone(this)
  }

  private onIdleTimer(): void {
    if (this.current === null && !this.closed) this.drop()
  }
}

/** undici's reading of `Keep-Alive: timeout=N`: N seconds less the threshold, capped; 0 = do not reuse. */
function keepAliveFromHint(hint: string, fallback: number): number {
  const m = /timeout=(\d+)/.exec(hint)
  if (m === null) return fallback
  const ms = Number(m[1]) * 1000 - KEEP_ALIVE_THRESHOLD_MS
  return ms < 1_000 ? 0 : Math.min(ms, KEEP_ALIVE_MAX_MS)
}
