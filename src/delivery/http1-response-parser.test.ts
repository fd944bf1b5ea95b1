import { describe, expect, it } from 'vitest'
import { Http1ResponseParser, HttpParseError, MAX_HEAD_BYTES } from './http1-response-parser.js'

interface Parsed {
  status: number
  headers: Record<string, string>
  body: string
  reusable: boolean
}

/** Feeds `pieces` one after another; the response, or the error thrown. */
function parse(pieces: Buffer[], method = 'POST', closeAtEnd = false): Parsed | Error {
  const parser = new Http1ResponseParser()
  let head: { status: number; headers: Record<string, string> } | null = null
  const body: Buffer[] = []
  let reusable: boolean | null = null
  parser.expect(method, {
    onHead: (status, headers) => (head = { status, headers }),
    // Copied: a chunk is a view into bytes the caller may reuse.
    onData: (chunk) => body.push(Buffer.from(chunk)),
    onEnd: (r) => (reusable = r),
  })
  try {
    for (const piece of pieces) parser.feed(piece)
    if (closeAtEnd && !parser.finish()) return new Error('cut short')
  } catch (error) {
    return error as Error
  }
  if (head === null || reusable === null) return new Error('incomplete')
  const h = head as { status: number; headers: Record<string, string> }
  return { status: h.status, headers: h.headers, body: Buffer.concat(body).toString('latin1'), reusable }
}

/** The same response fed whole, and split in two at every byte boundary, must parse the same. */
function parseEverySplit(text: string, method = 'POST', closeAtEnd = false): Parsed | Error {
  const bytes = Buffer.from(text, 'latin1')
  const whole = parse([bytes], method, closeAtEnd)
  for (let i = 1; i < bytes.length; i++) {
    const split = parse([bytes.subarray(0, i), bytes.subarray(i)], method, closeAtEnd)
    expect(split instanceof Error ? `error: ${split.message}` : split, `split at ${i}`).toEqual(whole instanceof Error ? `error: ${whole.message}` : whole)
  }
  // And a byte at a time.
  const bytewise = parse([...bytes].map((b) => Buffer.from([b])), method, closeAtEnd)
  expect(bytewise instanceof Error ? `error: ${bytewise.message}` : bytewise).toEqual(whole instanceof Error ? `error: ${whole.message}` : whole)
  return whole
}

describe('Http1ResponseParser', () => {
  it('reads a Content-Length response, split anywhere', () => {
    const r = parseEverySplit('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}')
    expect(r).toEqual({ status: 200, headers: { 'content-type': 'application/json', 'content-length': '11' }, body: '{"ok":true}', reusable: true })
  })

  it('lowercases names, trims optional whitespace, joins repeated headers with ", "', () => {
    const r = parseEverySplit('HTTP/1.1 204 No Content\r\nX-Trace:  a \r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Empty:\r\n\r\n')
    expect(r).toEqual({ status: 204, headers: { 'x-trace': 'a', 'set-cookie': 'a=1, b=2', 'x-empty': '' }, body: '', reusable: true })
  })

  it('reads values as latin1, as undici does', () => {
    const r = parse([Buffer.concat([Buffer.from('HTTP/1.1 204 No Content\r\nX-Name: '), Buffer.from([0xe9]), Buffer.from('\r\n\r\n')])]) as Parsed
    expect(r.headers['x-name']).toBe('\u00e9')
  })

  it('reads a chunked body with chunk extensions and trailers, split anywhere', () => {
    const r = parseEverySplit('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n')
    expect(r).toEqual({ status: 200, headers: { 'transfer-encoding': 'chunked' }, body: 'hello world', reusable: true })
  })

  it('reads a chunked body without trailers, with uppercase hex sizes', () => {
    const r = parseEverySplit('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n')
    expect(r).toMatchObject({ body: '0123456789', reusable: true })
  })

  it('reads a body that runs to the close, which is then not reusable', () => {
    const r = parseEverySplit('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end', 'POST', true)
    expect(r).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'until the end', reusable: false })
  })

  it('takes a transfer coding other than chunked as a body to the close', () => {
    const r = parseEverySplit('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw', 'POST', true)
    expect(r).toMatchObject({ body: 'raw', reusable: false })
  })

  it('skips interim 100 and 103 responses', () => {
    const r = parseEverySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok')
    expect(r).toEqual({ status: 201, headers: { 'content-length': '2' }, body: 'ok', reusable: true })
  })

  it('reads no body for 204, 304 and the answer to HEAD', () => {
    expect(parseEverySplit('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n')).toMatchObject({ status: 304, body: '', reusable: true })
    expect(parseEverySplit('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HEAD')).toMatchObject({ status: 200, body: '', reusable: true })
  })

  it('does not reuse a connection after Connection: close, or an HTTP/1.0 response', () => {
    expect(parseEverySplit('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\nx')).toMatchObject({ body: 'x', reusable: false })
    expect(parseEverySplit('HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ reusable: false })
    expect(parseEverySplit('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx')).toMatchObject({ body: 'x', reusable: false })
  })

  it('accepts a status line without a reason phrase', () => {
    expect(parseEverySplit('HTTP/1.1 202\r\nContent-Length: 0\r\n\r\n')).toMatchObject({ status: 202 })
    expect(parseEverySplit('HTTP/1.1 202 \r\nContent-Length: 0\r\n\r\n')).toMatchObject({ status: 202 })
  })

  it('does not reuse a connection whose server sent more than the response', () => {
    expect(parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n')])).toMatchObject({ body: 'x', reusable: false })
  })

  it('refuses bytes when no response is expected', () => {
    const parser = new Http1ResponseParser()
    expect(() => parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(HttpParseError)
  })

  it('reports a message cut short by the close', () => {
    const parser = new Http1ResponseParser()
    parser.expect('POST', { onHead: () => {}, onData: () => {}, onEnd: () => {} })
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
    expect(parser.finish()).toBe(false)
  })

  it('stops reading when its caller resets it mid-response', () => {
    const parser = new Http1ResponseParser()
    const seen: string[] = []
    parser.expect('POST', {
      onHead: () => {
        seen.push('head')
        parser.reset()
      },
      onData: () => seen.push('data'),
      onEnd: () => seen.push('end'),
    })
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc'))
    expect(seen).toEqual(['head'])
  })

  it('refuses a head larger than the limit instead of buffering it', () => {
    const parser = new Http1ResponseParser()
    parser.expect('POST', { onHead: () => {}, onData: () => {}, onEnd: () => {} })
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n'))
    const line = Buffer.from(`X-Pad: ${'a'.repeat(1000)}\r\n`)
    let error: unknown = null
    try {
      for (let i = 0; i < MAX_HEAD_BYTES / line.length + 2; i++) parser.feed(line)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(HttpParseError)
    expect((error as Error).message).toMatch(/larger than/)
    // Whole in one read, too.
    expect(parse([Buffer.from(`HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`)])).toBeInstanceOf(HttpParseError)
  })

  it('refuses trailers larger than the limit', () => {
    const r = parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n'), Buffer.from(`X-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}`)])
    expect(r).toBeInstanceOf(HttpParseError)
  })

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n'],
    ['a status code that is not three digits', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a status code below 100', 'HTTP/1.1 099 Odd\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n'],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n'],
    ['an empty header name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n'],
    ['a bare LF inside the head', 'HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n'],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n'],
    ['a content-length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'],
    ['conflicting content-lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n'],
    ['a 101 nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'],
  ])('refuses %s', (_name, text) => {
    const r = parseEverySplit(text)
    expect(r).toBeInstanceOf(HttpParseError)
    expect((r as HttpParseError).code).toBe('HOOKRELAY_HTTP_PARSE')
  })

  it('parses one response after another on the same connection', () => {
    const parser = new Http1ResponseParser()
    const got: Array<[number, string, boolean]> = []
    for (const [text, status] of [
      ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na', 200],
      ['HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n', 201],
      ['HTTP/1.1 204 No Content\r\n\r\n', 204],
    ] as const) {
      let body = ''
      parser.expect('POST', { onHead: () => {}, onData: (c) => (body += c.toString()), onEnd: (r) => got.push([status, body, r]) })
      parser.feed(Buffer.from(text))
    }
    expect(got).toEqual([
      [200, 'a', true],
      [201, 'b', true],
      [204, '', true],
    ])
  })
})
