import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { readBody } from './read-body.js'

const chunks = (...parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)))

describe('readBody', () => {
  it('reads a body announced by content-length or transfer-encoding', async () => {
    expect((await readBody(chunks('{"q":', '1}'), { 'content-length': '7' }, 100)).toString()).toBe('{"q":1}')
    expect((await readBody(chunks('a', 'b', 'c'), { 'transfer-encoding': 'chunked' }, 100)).toString()).toBe('abc')
    expect((await readBody(chunks(''), { 'transfer-encoding': 'chunked' }, 100)).length).toBe(0)
  })

  it('reads nothing when the request announces no body', async () => {
    const untouched = chunks('never read')
    expect((await readBody(untouched, {}, 100)).length).toBe(0)
    expect((await readBody(untouched, { 'content-length': '0' }, 100)).length).toBe(0)
    expect(untouched.readableFlowing).toBeNull()
  })

  it('refuses a body past the limit with 413 payload_too_large, before reading when the length says so', async () => {
    const announced = chunks('x'.repeat(11))
    await expect(readBody(announced, { 'content-length': '11' }, 10)).rejects.toMatchObject({ code: 'payload_too_large' })
    expect(announced.readableFlowing).toBeNull()
    await expect(readBody(chunks('x'.repeat(6), 'x'.repeat(5)), { 'transfer-encoding': 'chunked' }, 10)).rejects.toMatchObject({ code: 'payload_too_large' })
    expect((await readBody(chunks('x'.repeat(10)), { 'content-length': '10' }, 10)).length).toBe(10)
  })

  it('refuses a body that does not match its content-length, or that ends with the client gone, with 400 bad_request', async () => {
    await expect(readBody(chunks('abc'), { 'content-length': '5' }, 100)).rejects.toMatchObject({ code: 'bad_request' })
    const gone = new PassThrough()
    const read = readBody(gone, { 'content-length': '5' }, 100)
    gone.write('ab')
    gone.destroy()
    await expect(read).rejects.toMatchObject({ code: 'bad_request' })
  })
})
