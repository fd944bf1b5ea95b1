import { PassThrough, Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { readClientBody } from './client-body.js'

const chunks = (...parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)))

describe('readClientBody', () => {
  it('reads a short body announced by content-length or transfer-encoding whole', async () => {
    const whole = await readClientBody(chunks('{"q":', '1}'), { 'content-length': '7' }, 100, 10)
    expect([whole.head.toString(), whole.rest, whole.declared]).toEqual(['{"q":1}', null, 7])
    expect((await readClientBody(chunks('a', 'b', 'c'), { 'transfer-encoding': 'chunked' }, 100, 10)).head.toString()).toBe('abc')
    expect((await readClientBody(chunks(''), { 'transfer-encoding': 'chunked' }, 100, 10)).head.length).toBe(0)
  })

  it('reads nothing when the request announces no body', async () => {
    const untouched = chunks('never read')
    expect((await readClientBody(untouched, {}, 100, 10)).head.length).toBe(0)
    expect((await readClientBody(untouched, { 'content-length': '0' }, 100, 10)).rest).toBeNull()
    expect(untouched.readableFlowing).toBeNull()
  })

  it('keeps the first bytes of a longer body and streams the whole of it, reading the client only as the stream is read', async () => {
    const client = new PassThrough()
    const reading = readClientBody(client, { 'transfer-encoding': 'chunked' }, 1000, 4)
    client.write('abc')
    client.write('de')
    const body = await reading
    expect(body.head.toString()).toBe('abcde')
    expect(body.rest).not.toBeNull()
    // Paused until the stream is read: the client's next bytes wait in its own buffer.
    client.write('fgh')
    expect(client.isPaused()).toBe(true)
    client.end('ij')
    expect(await text(body.rest!)).toBe('abcdefghij')
    expect(body.failure()).toBeNull()
  })

  it('refuses a body past the limit with 413 payload_too_large: before reading when the length says so, or while reading it', async () => {
    const announced = chunks('x'.repeat(11))
    await expect(readClientBody(announced, { 'content-length': '11' }, 10, 4)).rejects.toMatchObject({ code: 'payload_too_large' })
    expect(announced.readableFlowing).toBeNull()
    await expect(readClientBody(chunks('x'.repeat(6), 'x'.repeat(5)), { 'transfer-encoding': 'chunked' }, 10, 100)).rejects.toMatchObject({ code: 'payload_too_large' })
    expect((await readClientBody(chunks('x'.repeat(10)), { 'content-length': '10' }, 10, 100)).head.length).toBe(10)

    // Past the limit once streaming: the stream fails, says why, and the rest of the client's bytes are read and dropped.
    const client = new PassThrough()
    const reading = readClientBody(client, { 'transfer-encoding': 'chunked' }, 10, 2)
    client.write('xxx')
    const body = await reading
    const consumed = text(body.rest!)
    client.write('x'.repeat(8))
    await expect(consumed).rejects.toMatchObject({ code: 'payload_too_large' })
    expect(body.failure()).toBe('too_large')
    client.end('y'.repeat(100))
    expect(client.readableFlowing).toBe(true)
  })

  it('refuses a body that does not match its content-length, or whose client goes away, with 400 bad_request; once streaming it fails as gone', async () => {
    await expect(readClientBody(chunks('abc'), { 'content-length': '5' }, 100, 10)).rejects.toMatchObject({ code: 'bad_request' })
    const gone = new PassThrough()
    const read = readClientBody(gone, { 'content-length': '5' }, 100, 10)
    gone.write('ab')
    gone.destroy()
    await expect(read).rejects.toMatchObject({ code: 'bad_request' })

    const client = new PassThrough()
    const reading = readClientBody(client, { 'content-length': '50' }, 100, 2)
    client.write('abc')
    const body = await reading
    expect(body.declared).toBe(50)
    const consumed = text(body.rest!)
    client.destroy()
    await expect(consumed).rejects.toMatchObject({ code: 'bad_request' })
    expect(body.failure()).toBe('gone')
  })
})
