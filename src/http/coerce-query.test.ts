import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import { coerceQuery } from './coerce-query.js'

const Q = Type.Object({
  limit: Type.Optional(Type.Integer()),
  ratio: Type.Optional(Type.Number()),
  all: Type.Optional(Type.Boolean()),
  type: Type.Optional(Type.String()),
})

describe('coerceQuery', () => {
  it.each([
    [{ limit: '25' }, { limit: 25 }],
    [{ limit: '-1' }, { limit: -1 }],
    [{ ratio: '2.5' }, { ratio: 2.5 }],
    [{ ratio: '1e3' }, { ratio: 1000 }],
    [{ all: 'true' }, { all: true }],
    [{ all: 'false' }, { all: false }],
    // Strings stay strings, even when they look like numbers.
    [{ type: '42' }, { type: '42' }],
  ])('converts %j to %j', (query, expected) => {
    expect(coerceQuery(Q, query)).toEqual(expected)
  })

  it.each([[{ limit: '1.5' }], [{ limit: 'abc' }], [{ limit: '' }], [{ limit: ' 5' }], [{ ratio: 'NaN' }], [{ all: 'yes' }], [{ limit: ['1', '2'] }]])(
    'leaves %j for validation to refuse',
    (query) => {
      expect(coerceQuery(Q, query)).toEqual(query)
    },
  )

  it('does not change the object it was given', () => {
    const query = { limit: '5', other: 'x' }
    expect(coerceQuery(Q, query)).toEqual({ limit: 5, other: 'x' })
    expect(query).toEqual({ limit: '5', other: 'x' })
  })

  it('passes through without a schema or properties', () => {
    const query = { limit: '5' }
    expect(coerceQuery(undefined, query)).toBe(query)
    expect(coerceQuery({}, query)).toBe(query)
    expect(coerceQuery(Q, null)).toBe(null)
  })
})
