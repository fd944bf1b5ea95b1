import { describe, expect, it } from 'vitest'
import { DEFAULT_PAYLOAD } from './payload-body.js'
import { compileShape, shapeRuleErrors, type OpenEndpoint } from './request-shape.js'

const base = { method: 'POST' as const, headers: {}, payload: DEFAULT_PAYLOAD }
const paths = (errors: Array<{ path: string }>) => errors.map((e) => e.path)

describe('shapeRuleErrors', () => {
  it('accepts ordinary settings', () => {
    expect(shapeRuleErrors({ ...base, headers: { 'X-Env': 'prod', Authorization: 'Token x' } }, { type: 'none' })).toEqual([])
    expect(shapeRuleErrors({ ...base, method: 'GET' }, { type: 'header', name: 'X-Api-Key', value: 'k' })).toEqual([])
  })

  it('refuses reserved and malformed header names, and values with line breaks', () => {
    const errors = shapeRuleErrors({ ...base, headers: { Host: 'x', 'webhook-id': 'forged', 'bad name': 'v', 'X-Ok': 'a\r\nb', 'a/b': 'v' } }, { type: 'none' })
    expect(paths(errors)).toEqual(['/headers/Host', '/headers/webhook-id', '/headers/bad name', '/headers/X-Ok', '/headers/a~1b'])
  })

  it('refuses a custom header that the auth sets too', () => {
    expect(paths(shapeRuleErrors({ ...base, headers: { authorization: 'x' } }, { type: 'bearer', token: 't' }))).toEqual(['/headers/authorization'])
    expect(paths(shapeRuleErrors({ ...base, headers: { 'x-api-key': 'x' } }, { type: 'header', name: 'X-Api-Key', value: 'k' }))).toEqual(['/headers/x-api-key'])
  })

  it('refuses an auth header name that is reserved', () => {
    expect(paths(shapeRuleErrors(base, { type: 'header', name: 'Content-Length', value: 'v' }))).toEqual(['/auth/name'])
    expect(paths(shapeRuleErrors(base, { type: 'header', name: 'X-K', value: 'a\nb' }))).toEqual(['/auth/value'])
  })

  it('refuses combinations that cannot be sent', () => {
    expect(paths(shapeRuleErrors({ ...base, method: 'GET', payload: { ...DEFAULT_PAYLOAD, format: 'text' } }, { type: 'none' }))).toEqual(['/payload/format'])
    expect(paths(shapeRuleErrors({ ...base, payload: { ...DEFAULT_PAYLOAD, format: 'text', extraFields: { a: 1 } } }, { type: 'none' }))).toEqual([
      '/payload/extraFields',
    ])
  })
})

describe('compileShape', () => {
  it('names every template that does not parse', () => {
    const ep = {
      id: 'ep',
      name: 'n',
      metadata: {},
      method: 'POST',
      url: 'http://h/{{ tenant.metadata.x ',
      headers: { 'X-A': '{% if %}' },
      queryParams: {},
      payload: { ...DEFAULT_PAYLOAD, template: '{{ event.data | nosuchfilter }}' },
    } as unknown as OpenEndpoint
    const { errors } = compileShape(ep, { id: 't', name: 't', metadata: {} }, { type: 'none' })
    expect(paths(errors)).toEqual(['/payload/template', '/url', '/headers/X-A'])
    expect(errors[0]!.message).toContain('not a valid Liquid template')
  })
})
