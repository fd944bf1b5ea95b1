import { describe, expect, it } from 'vitest'
import { upstreamUrl } from './gateway.js'

describe('upstreamUrl', () => {
  it("appends the request's path to the route's, without doubling slashes, and joins queries", () => {
    expect(upstreamUrl('http://127.0.0.1:9/api', '/v1/items', 'a=1')).toBe('http://127.0.0.1:9/api/v1/items?a=1')
    expect(upstreamUrl('http://127.0.0.1:9/api/', '/v1', '')).toBe('http://127.0.0.1:9/api/v1')
    expect(upstreamUrl('http://127.0.0.1:9', '/x', '')).toBe('http://127.0.0.1:9/x')
    expect(upstreamUrl('http://127.0.0.1:9/api?key=k', '/x', 'a=1')).toBe('http://127.0.0.1:9/api/x?key=k&a=1')
    expect(upstreamUrl('http://127.0.0.1:9/api', '', '')).toBe('http://127.0.0.1:9/api/')
    expect(upstreamUrl('http://127.0.0.1:9/api/', '', 'q=1')).toBe('http://127.0.0.1:9/api/?q=1')
  })

  it('keeps percent-encoding as received', () => {
    expect(upstreamUrl('http://127.0.0.1:9/api', '/a%2Fb/c%20d', '')).toBe('http://127.0.0.1:9/api/a%2Fb/c%20d')
  })
})
