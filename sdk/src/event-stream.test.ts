/**
 * eventStream's connection handling with a scripted `connect` (no network): reconnection with
 * Last-Event-ID and the stream's `retry:`, a silent connection dropped, answers that throw, and the
 * connection closed whichever way the loop ends. The real server's side: sdk/test/attempt-stream.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { eventStream, type Connect } from './event-stream.js'
import { HookrelayError } from './hookrelay-error.js'

interface FakeConnection {
  headers: Record<string, string>
  signal: AbortSignal
  push(text: string): void
  /** The connection breaks (as undici's body stream errors when the socket goes). */
  fail(): void
  /** The server ends the answer. */
  end(): void
}

/** A connect whose every call is answered by `script` (a connection's turn), and the connections it made. */
function scripted(script: (c: FakeConnection, n: number) => Response | void): { connect: Connect; connections: FakeConnection[] } {
  const connections: FakeConnection[] = []
  const encoder = new TextEncoder()
  const connect: Connect = async (headers, signal) => {
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
    // As fetch does: aborting its signal errors the body being read.
    signal.addEventListener('abort', () => controller.error(new DOMException('This operation was aborted', 'AbortError')))
    const c: FakeConnection = {
      headers,
      signal,
      push: (text) => controller.enqueue(encoder.encode(text)),
      fail: () => controller.error(new TypeError('terminated')),
      end: () => controller.close(),
    }
    connections.push(c)
    const answer = script(c, connections.length)
    if (answer !== undefined) {
      if (!answer.ok) throw new HookrelayError({ status: answer.status, code: answer.statusText, detail: 'scripted' })
      return answer
    }
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
  }
  return { connect, connections }
}

const options = { idleTimeoutMs: 30_000, maxReconnects: 3, retryBaseMs: 1 }

async function take<T>(items: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = []
  if (n === 0) return out
  for await (const item of items) if (out.push(item) === n) break
  return out
}

describe('eventStream', () => {
  it('reconnects after a drop with Last-Event-ID, waiting what retry: asked, and break closes the connection', async () => {
    const { connect, connections } = scripted((c, n) => {
      if (n === 1) {
        c.push('retry: 0\nid: 7\nevent: attempt\ndata: one\n\n')
        setTimeout(() => c.fail(), 0)
      } else if (n === 2) {
        c.end()
      } else {
        c.push('event: attempt\ndata: two\n\n')
      }
    })
    const events = await take(eventStream(connect, options), 2)
    expect(events.map((e) => [e.data, e.lastEventId])).toEqual([
      ['one', '7'],
      ['two', '7'],
    ])
    expect(connections.map((c) => c.headers['last-event-id'])).toEqual([undefined, '7', '7'])
    expect(connections.every((c) => c.signal.aborted)).toBe(true)
  })

  it('drops a connection that stays silent past idleTimeoutMs and opens another', async () => {
    const { connect, connections } = scripted((c, n) => {
      if (n === 2) c.push('data: after\n\n')
    })
    const [event] = await take(eventStream(connect, { ...options, idleTimeoutMs: 20 }), 1)
    expect(event!.data).toBe('after')
    expect(connections).toHaveLength(2)
    expect(connections[0]!.signal.aborted).toBe(true)
  })

  it('retries 503s up to maxReconnects in a row, and throws the next one', async () => {
    const flaky = scripted((c, n) => (n <= 2 ? new Response(null, { status: 503, statusText: 'service_unavailable' }) : c.push('data: up\n\n')))
    expect((await take(eventStream(flaky.connect, { ...options, maxReconnects: 2 }), 1))[0]!.data).toBe('up')

    const down = scripted(() => new Response(null, { status: 503, statusText: 'service_unavailable' }))
    const err = await take(eventStream(down.connect, { ...options, maxReconnects: 2 }), 1).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 503, code: 'service_unavailable' })
    expect(down.connections).toHaveLength(3)
  })

  it('throws an answer a retry cannot change at once, and an answer that is not an event stream', async () => {
    const missing = scripted(() => new Response(null, { status: 404, statusText: 'not_found' }))
    expect(await take(eventStream(missing.connect, options), 1).catch((e: unknown) => e)).toMatchObject({ status: 404, code: 'not_found' })
    expect(missing.connections).toHaveLength(1)

    const html = scripted(() => new Response('<html>', { headers: { 'content-type': 'text/html' } }))
    expect(await take(eventStream(html.connect, options), 1).catch((e: unknown) => e)).toMatchObject({ code: 'unexpected_response' })
  })

  it('ends without an error when the signal aborts, before or while waiting, and closes the connection', async () => {
    const controller = new AbortController()
    const { connect, connections } = scripted((c) => c.push(': open\n\n'))
    const seen: string[] = []
    const loop = (async () => {
      for await (const e of eventStream(connect, { ...options, signal: controller.signal })) seen.push(e.data)
    })()
    while (connections.length === 0) await new Promise((r) => setTimeout(r, 1))
    controller.abort()
    await loop
    expect(seen).toEqual([])
    expect(connections).toHaveLength(1)
    expect(connections[0]!.signal.aborted).toBe(true)

    expect(await take(eventStream(connect, { ...options, signal: controller.signal }), 1)).toEqual([])
    expect(connections).toHaveLength(1)
  })
})
