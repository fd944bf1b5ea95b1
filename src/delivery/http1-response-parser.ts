/**
 * An incremental HTTP/1.x response parser for the lean sender (lean-http.ts): bytes in as the
 * socket gives them, split anywhere; out come the status and headers, the body's bytes and the end
 * of the message. Pure: no socket, no timers. One parser serves one connection, one response at a
 * time (no pipelining): `expect` arms it for the next response.
 *
 * Framing as RFC 9112 section 6.3: no body for a HEAD request and for 1xx, 204 and 304; else
 * chunked when the last transfer coding is chunked, else Content-Length, else the body runs to the
 * close of the connection. Interim 1xx responses (100 Continue, 103 Early Hints) are skipped.
 * Header names are lowercased and repeated headers joined with ", ", as undici reports them to the
 * sender; values are read as latin1, as undici reads them.
 */
import { isFieldName, isFieldValue } from '../core/shaping/header-rules.js'

/** A response the parser cannot read: classified as a network failure (its code is no known one). */
export class HttpParseError extends Error {
  override name = 'HttpParseError'
  readonly code = 'HOOKRELAY_HTTP_PARSE'
}

export interface ResponseEvents {
  /** The final (non-1xx) status line and headers. */
  onHead(status: number, headers: Record<string, string>): void
  /** A piece of the body, a view into the socket's buffer (copy it to keep it past the call). */
  onData(chunk: Buffer): void
  /** The message is complete; `reusable`: the connection may carry another request. */
  onEnd(reusable: boolean): void
}

/** Status line and headers (and a chunked body's trailers) larger than this are refused. */
export const MAX_HEAD_BYTES = 65_536
/** A chunk-size line (hex size and extensions) longer than this is refused. */
const MAX_CHUNK_LINE_BYTES = 4_096

const enum State {
  /** No response expected: bytes now are a protocol error. */
  Idle,
  Head,
  /** Content-Length body: `remaining` bytes left. */
  Fixed,
  ChunkSize,
  ChunkData,
  /** The CRLF after a chunk's data. */
  ChunkDataEnd,
  Trailers,
  /** Body up to the close of the connection. */
  UntilClose,
  /** A message ended with bytes after it, or an error: nothing more is read. */
  Done,
}

const CRLF_CRLF = Buffer.from('\r\n\r\n')

export class Http1ResponseParser {
  private state = State.Idle
  private events: ResponseEvents | null = null
  private headRequest = false
  /** Bytes of an incomplete head, chunk-size line or trailers, kept between feeds. */
  private pending: Buffer | null = null
  private remaining = 0
  private keepAlive = false
  /** Set when the message just ended (whether the connection may be reused), reported after the read. */
  private ended: boolean | null = null
  /** The caller stopped the exchange (reset): the rest of the current read is ignored. */
  private stopped = false

  /** Arms the parser for the response to a request with `method`. */
  expect(method: string, events: ResponseEvents): void {
    this.state = State.Head
    this.events = events
    this.headRequest = method === 'HEAD'
    this.pending = null
    this.stopped = false
  }

  /** True while a response is expected or being read. */
  get busy(): boolean {
    return this.state !== State.Idle && this.state !== State.Done
  }

  /** True when the body runs to the close of the connection (the close then ends it). */
  get readsUntilClose(): boolean {
    return this.state === State.UntilClose
  }

  /**
   * Reads `data`; throws an HttpParseError on a malformed response. Bytes that arrive when no
   * response is expected (or after a complete one) are an error too: a server may not answer
   * what was not asked.
   */
  feed(data: Buffer): void {
    let at = 0
    while (at < data.length && this.ended === null && !this.stopped) {
      switch (this.state) {
        case State.Head:
          at = this.readHead(data, at)
          break
        case State.Fixed:
          at = this.readBody(data, at)
          if (this.remaining === 0) this.end(this.keepAlive)
          break
        case State.ChunkSize:
          at = this.readChunkSize(data, at)
          break
        case State.ChunkData:
          at = this.readBody(data, at)
          if (this.remaining === 0) {
            this.state = State.ChunkDataEnd
            this.remaining = 2
          }
          break
        case State.ChunkDataEnd: {
          // The CRLF may itself be split across reads: `remaining` counts what is left of it.
          const expected = this.remaining === 2 ? 0x0d : 0x0a
          if (data[at] !== expected) throw new HttpParseError('invalid chunked body: no CRLF after a chunk')
          at++
          if (--this.remaining === 0) this.state = State.ChunkSize
          break
        }
        case State.Trailers:
          at = this.readTrailers(data, at)
          break
        case State.UntilClose:
          this.events!.onData(at === 0 ? data : data.subarray(at))
          at = data.length
          break
        case State.Idle:
        case State.Done:
          this.state = State.Done
          throw new HttpParseError('the server sent data that answers no request')
      }
    }
    if (this.ended !== null && !this.stopped) {
      // Bytes past the end of the message answer no request: the response stands, the connection
      // is not reused (nothing more is read from it).
      const reusable = this.ended && at === data.length
      this.ended = null
      this.report(reusable)
    }
  }

  /** Stops reading: an exchange ended by its caller (a timeout, a body too long to drain). */
  reset(): void {
    this.state = State.Done
    this.events = null
    this.pending = null
    this.ended = null
    this.stopped = true
  }

  /**
   * The connection closed: ends a body that runs to the close. False if a message was cut short
   * (the caller reports that as the connection closed by the receiver).
   */
  finish(): boolean {
    if (this.state === State.UntilClose) {
      this.report(false)
      return true
    }
    return !this.busy
  }

  /** The message ended: reported once the read that holds its end is done. */
  private end(reusable: boolean): void {
    this.ended = reusable
    this.pending = null
  }

  private report(reusable: boolean): void {
    const events = this.events!
    this.events = null
    this.state = reusable ? State.Idle : State.Done
    this.pending = null
    events.onEnd(reusable)
  }

  /** Passes on up to `remaining` bytes of body (a Content-Length body or a chunk's data); returns where the read goes on. */
  private readBody(data: Buffer, at: number): number {
    const n = Math.min(this.remaining, data.length - at)
    this.remaining -= n
    this.events!.onData(at === 0 && n === data.length ? data : data.subarray(at, at + n))
    return at + n
  }

  /** Joins kept bytes with new ones (the uncommon case: a line or head split across reads). */
  private join(data: Buffer, at: number): Buffer {
    const rest = at === 0 ? data : data.subarray(at)
    return this.pending === null ? rest : Buffer.concat([this.pending, rest])
  }

  private readHead(data: Buffer, at: number): number {
    const buf = this.join(data, at)
    const kept = this.pending === null ? 0 : this.pending.length
    // The terminator may straddle the kept bytes and the new ones: search from 3 bytes back.
    const end = buf.indexOf(CRLF_CRLF, Math.max(0, kept - 3))
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) throw this.fail(`response head larger than ${MAX_HEAD_BYTES} bytes`)
      this.pending = Buffer.from(buf)
      return data.length
    }
    if (end + 4 > MAX_HEAD_BYTES) throw this.fail(`response head larger than ${MAX_HEAD_BYTES} bytes`)
    this.pending = null
    // Bytes of `data` consumed: the head's end in `buf`, less the kept bytes that came before `at`.
    const next = at + end + 4 - kept
    this.onHead(buf.toString('latin1', 0, end))
    return next
  }

  private onHead(text: string): void {
    let eol = text.indexOf('\r\n')
    const statusLine = eol === -1 ? text : text.slice(0, eol)
    // HTTP/1.x SP 3DIGIT SP reason (the reason may be empty, and its SP absent in the wild).
    if (statusLine.length < 12 || !statusLine.startsWith('HTTP/1.') || statusLine[8] !== ' ' || (statusLine.length > 12 && statusLine[12] !== ' ')) {
      throw this.fail(`invalid status line: ${JSON.stringify(statusLine.slice(0, 64))}`)
    }
    const minor = statusLine[7]
    if (minor !== '0' && minor !== '1') throw this.fail(`unsupported HTTP version: ${JSON.stringify(statusLine.slice(0, 8))}`)
    const status = parseStatus(statusLine)
    if (status < 0) throw this.fail(`invalid status line: ${JSON.stringify(statusLine.slice(0, 64))}`)

    const headers: Record<string, string> = {}
    let contentLength = -1
    let chunked = false
    let transferEncoding = false
    let connectionClose = false
    // Lines scanned in place (no split): this runs once per delivery.
    while (eol !== -1) {
      const start = eol + 2
      eol = text.indexOf('\r\n', start)
      const end = eol === -1 ? text.length : eol
      const colon = text.indexOf(':', start)
      if (colon <= start || colon > end) throw this.fail(`invalid header line: ${JSON.stringify(text.slice(start, Math.min(end, start + 64)))}`)
      const raw = text.slice(start, colon)
      if (!isFieldName(raw)) throw this.fail(`invalid header name: ${JSON.stringify(text.slice(start, Math.min(colon, start + 64)))}`)
      const name = raw.toLowerCase()
      // Optional whitespace (SP, HTAB) around the value is not part of it.
      let from = colon + 1
      let to = end
      while (from < to && isOws(text.charCodeAt(from))) from++
      while (to > from && isOws(text.charCodeAt(to - 1))) to--
      const value = text.slice(from, to)
      if (!isFieldValue(value)) throw this.fail(`invalid value of header ${name}`)
      const before = headers[name]
      headers[name] = before === undefined ? value : `${before}, ${value}`
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw this.fail(`invalid content-length: ${JSON.stringify(value.slice(0, 32))}`)
        const n = Number(value)
        if (contentLength !== -1 && contentLength !== n) throw this.fail('conflicting content-length headers')
        contentLength = n
      } else if (name === 'transfer-encoding') {
        transferEncoding = true
        // Only the last coding decides whether the body is chunked.
        const codings = headers[name].split(',')
        chunked = codings[codings.length - 1]!.trim().toLowerCase() === 'chunked'
      } else if (name === 'connection') {
        for (const token of value.toLowerCase().split(',')) if (token.trim() === 'close') connectionClose = true
      }
    }

    if (status < 200) {
      // 101 would switch protocols, which no request of ours asks for.
      if (status === 101) throw this.fail('unexpected 101 Switching Protocols')
      this.state = State.Head
      return
    }
    // An HTTP/1.0 response is not reused even with Connection: keep-alive (undici reuses it only
    // when it says so; few servers speak 1.0 now, so the simpler rule costs nothing).
    this.keepAlive = minor === '1' && !connectionClose
    const events = this.events!
    events.onHead(status, headers)
    if (this.events !== events) return // onHead ended the exchange (an abort).
    if (this.headRequest || status === 204 || status === 304) {
      this.end(this.keepAlive)
    } else if (transferEncoding) {
      if (chunked) {
        this.state = State.ChunkSize
      } else {
        this.state = State.UntilClose
        this.keepAlive = false
      }
    } else if (contentLength >= 0) {
      if (contentLength === 0) {
        this.end(this.keepAlive)
      } else {
        this.state = State.Fixed
        this.remaining = contentLength
      }
    } else {
      this.state = State.UntilClose
      this.keepAlive = false
    }
  }

  private readChunkSize(data: Buffer, at: number): number {
    const lf = data.indexOf(0x0a, at)
    if (lf === -1) {
      const buf = this.join(data, at)
      if (buf.length > MAX_CHUNK_LINE_BYTES) throw this.fail('chunk-size line too long')
      this.pending = Buffer.from(buf)
      return data.length
    }
    const line = this.pending === null ? data.toString('latin1', at, lf) : Buffer.concat([this.pending, data.subarray(at, lf)]).toString('latin1')
    this.pending = null
    if (line.length > MAX_CHUNK_LINE_BYTES) throw this.fail('chunk-size line too long')
    if (!line.endsWith('\r')) throw this.fail('invalid chunk-size line: no CRLF')
    // chunk-size [ ; chunk-ext ] CRLF: extensions are allowed and ignored.
    const semi = line.indexOf(';')
    const hex = (semi === -1 ? line.slice(0, -1) : line.slice(0, semi)).trim()
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw this.fail(`invalid chunk size: ${JSON.stringify(hex.slice(0, 32))}`)
    const size = parseInt(hex, 16)
    if (size === 0) {
      this.state = State.Trailers
      this.remaining = 0
    } else {
      this.state = State.ChunkData
      this.remaining = size
    }
    return lf + 1
  }

  /** Trailer fields after the last chunk, up to an empty line: read and dropped (undici reports none to us). */
  private readTrailers(data: Buffer, at: number): number {
    const buf = this.join(data, at)
    const kept = this.pending === null ? 0 : this.pending.length
    // The common case: no trailers, the empty line right away (its CR may have come alone).
    if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
      this.end(this.keepAlive)
      return at + 2 - kept
    }
    const end = buf.indexOf(CRLF_CRLF, Math.max(0, kept - 3))
    if (end === -1) {
      if (buf.length > MAX_HEAD_BYTES) throw this.fail(`trailers larger than ${MAX_HEAD_BYTES} bytes`)
      this.pending = Buffer.from(buf)
      return data.length
    }
    for (const line of buf.toString('latin1', 0, end).split('\r\n')) {
      if (line.indexOf(':') <= 0) throw this.fail('invalid trailer line')
    }
    this.end(this.keepAlive)
    return at + end + 4 - kept
  }

  private fail(message: string): HttpParseError {
    this.state = State.Done
    this.pending = null
    return new HttpParseError(message)
  }
}

function parseStatus(line: string): number {
  let status = 0
  for (let i = 9; i < 12; i++) {
    const c = line.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    status = status * 10 + c
  }
  return status >= 100 ? status : -1
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09
}
