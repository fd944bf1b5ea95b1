import { describe, expect, it } from 'vitest'
import { SseParser } from './sse-parser.js'

/** Every event of `text` fed in pieces of `size` characters. */
function parseInPieces(text: string, size: number, parser = new SseParser()): Array<{ event: string; data: string; lastEventId: string }> {
  const out = []
  for (let i = 0; i < text.length; i += size) out.push(...parser.feed(text.slice(i, i + size)))
  return out
}

describe('SseParser', () => {
  const stream = ': hookrelay attempts\n\nevent: attempt\ndata: {"a":1}\n\n: heartbeat\n\nevent: attempt\ndata: {"a":2}\n\n'

  it('reads events and skips comments, however the text is cut', () => {
    const whole = new SseParser().feed(stream)
    expect(whole).toEqual([
      { event: 'attempt', data: '{"a":1}', lastEventId: '' },
      { event: 'attempt', data: '{"a":2}', lastEventId: '' },
    ])
    for (const size of [1, 2, 3, 7, 16]) expect(parseInPieces(stream, size)).toEqual(whole)
  })

  it('takes CRLF, CR and LF line breaks, a CRLF split between two chunks included', () => {
    const crlf = stream.replaceAll('\n', '\r\n')
    const cr = stream.replaceAll('\n', '\r')
    const expected = new SseParser().feed(stream)
    for (const size of [1, 2, 5]) {
      expect(parseInPieces(crlf, size)).toEqual(expected)
      expect(parseInPieces(cr, size)).toEqual(expected)
    }
  })

  it('joins data lines, defaults the type to message, drops an event without data and an unfinished one', () => {
    const parser = new SseParser()
    expect(parser.feed('data: one\ndata:two\ndata\n\nevent: empty\n\ndata: last')).toEqual([{ event: 'message', data: 'one\ntwo\n', lastEventId: '' }])
    // The type of the event without data did not carry over.
    expect(parser.feed('\n\n')).toEqual([{ event: 'message', data: 'last', lastEventId: '' }])
  })

  it('keeps the last event id across events and from a previous connection, and reads retry', () => {
    const parser = new SseParser('41')
    expect(parser.feed('data: a\n\n')).toEqual([{ event: 'message', data: 'a', lastEventId: '41' }])
    expect(parser.feed('id: 42\nretry: 1500\ndata: b\n\ndata: c\n\nid: bad\0id\nretry: soon\n')).toEqual([
      { event: 'message', data: 'b', lastEventId: '42' },
      { event: 'message', data: 'c', lastEventId: '42' },
    ])
    expect(parser.lastEventId).toBe('42')
    expect(parser.retryMs).toBe(1500)
    // An empty id resets it.
    parser.feed('id\n\n')
    expect(parser.lastEventId).toBe('')
  })
})
