import { describe, expect, it } from 'vitest'
import { decodeFormComponent } from './decode-form-component.js'

describe('decodeFormComponent', () => {
  it('reads + as a space, then percent-escapes, UTF-8 included', () => {
    expect(decodeFormComponent('1+2%2B3')).toBe('1 2+3')
    expect(decodeFormComponent('n%C3%A4me=%F0%9F%9A%80')).toBe('näme=🚀')
    expect(decodeFormComponent('access%5Ftoken')).toBe('access_token')
    expect(decodeFormComponent('')).toBe('')
  })

  it('throws on an escape that is malformed or not UTF-8', () => {
    for (const bad of ['%zz', '%E2%82', '%', '%FF']) expect(() => decodeFormComponent(bad), bad).toThrow(URIError)
  })
})
