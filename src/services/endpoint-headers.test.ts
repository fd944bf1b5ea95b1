import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSecretBox } from '../core/secret-box.js'
import { openHeaders, presentHeaders, resolveHeaders } from './endpoint-headers.js'

const box = createSecretBox(randomBytes(32))

describe('resolveHeaders', () => {
  it('seals credential-named values with a hint, keeps the others, and shows only hints', () => {
    const input = { Authorization: 'Bearer sk_live_0123456789abcdef', 'X-Api-Key': 'key_0123456789', 'X-Env': 'prod', Keyword: 'plain' }
    const r = resolveHeaders(input, null, box)
    expect(r.plain).toEqual(input)
    expect(r.stored['X-Env']).toBe('prod')
    expect(r.stored.Keyword).toBe('plain')
    expect(r.stored.Authorization).toEqual({ sealed: expect.stringMatching(/^v1:/), hint: 'Bearer ****cdef' })
    expect(JSON.stringify(r.stored)).not.toContain('0123456789')
    expect(presentHeaders(r.stored)).toEqual({ Authorization: 'Bearer ****cdef', 'X-Api-Key': '****6789', 'X-Env': 'prod', Keyword: 'plain' })
    expect(openHeaders(r.stored, box)).toEqual(input)
  })

  it('keeps a stored value sent back as its hint (name in any case), and takes a changed one', () => {
    const first = resolveHeaders({ 'X-Api-Key': 'key_0123456789', Cookie: 'a=1' }, null, box)
    const shown = presentHeaders(first.stored)
    const again = resolveHeaders({ 'x-api-key': shown['X-Api-Key']!, Cookie: 'b=2' }, first.stored, box)
    expect(again.plain).toEqual({ 'x-api-key': 'key_0123456789', Cookie: 'b=2' })
    expect(again.stored['x-api-key']).toEqual(first.stored['X-Api-Key'])
    expect(openHeaders(again.stored, box)).toEqual(again.plain)
  })

  it('a hint with nothing stored under that name is a value like any other', () => {
    const r = resolveHeaders({ 'X-Api-Key': '****6789' }, { 'X-Other-Key': 'key_0123456789' }, box)
    expect(r.plain).toEqual({ 'X-Api-Key': '****6789' })
  })

  it('reads a credential stored in the clear (before sealing), masks it when shown, and seals it when written back', () => {
    const legacy = { Authorization: 'Bearer sk_live_0123456789abcdef', 'X-Env': 'prod' }
    expect(presentHeaders(legacy)).toEqual({ Authorization: 'Bearer ****cdef', 'X-Env': 'prod' })
    expect(openHeaders(legacy, box)).toEqual(legacy)
    const r = resolveHeaders(presentHeaders(legacy), legacy, box)
    expect(r.plain).toEqual(legacy)
    expect(r.stored.Authorization).toEqual({ sealed: expect.stringMatching(/^v1:/), hint: 'Bearer ****cdef' })
  })
})
