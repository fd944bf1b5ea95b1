import { Ajv } from 'ajv'
import { Type, type TSchema } from 'typebox'
import { describe, expect, it } from 'vitest'
import { explainSchemaErrors, type SchemaError } from './schema-errors.js'

// The errors Ajv gives with the options the API validates with (allErrors), for TypeBox schemas.
const ajv = new Ajv({ allErrors: true, strict: false })
function errorsOf(schema: TSchema, value: unknown): SchemaError[] {
  const validate = ajv.compile(schema)
  expect(validate(value)).toBe(false)
  return validate.errors as SchemaError[]
}
const explain = (schema: TSchema, value: unknown) => explainSchemaErrors(errorsOf(schema, value))

const Method = Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('GET')])
const Auth = Type.Union([
  Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('bearer'), token: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('basic'), username: Type.String(), password: Type.String() }, { additionalProperties: false }),
])

describe('explainSchemaErrors', () => {
  it('names the values of a union of literals once, whatever the wrong value', () => {
    const S = Type.Object({ method: Method })
    expect(explain(S, { method: 'DELETE' })).toEqual([{ path: '/method', message: 'must be one of POST, PUT, PATCH, GET' }])
    expect(explain(S, { method: 5 })).toEqual([{ path: '/method', message: 'must be one of POST, PUT, PATCH, GET' }])
    expect(explain(S, { method: null })).toEqual([{ path: '/method', message: 'must be one of POST, PUT, PATCH, GET' }])
  })

  it('names an enum keyword and a single constant the same way', () => {
    expect(explain(Type.Object({ m: Type.Unsafe({ enum: ['a', 'b', 1] }) }), { m: 'c' })).toEqual([{ path: '/m', message: 'must be one of a, b, 1' }])
    expect(explain(Type.Object({ action: Type.Literal('publish') }), { action: 'delete' })).toEqual([{ path: '/action', message: 'must be publish' }])
    expect(explain(Type.Object({ action: Type.Literal('publish') }), { action: 7 })).toEqual([{ path: '/action', message: 'must be publish' }])
  })

  it("gives a nullable value's errors when the value is of the kind, and names the kinds when not", () => {
    const S = Type.Object({ rate: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]) })
    expect(explain(S, { rate: 0 })).toEqual([{ path: '/rate', message: 'must be >= 1' }])
    expect(explain(S, { rate: 'fast' })).toEqual([{ path: '/rate', message: 'must be integer or null' }])
    const O = Type.Object({ idem: Type.Union([Type.Object({ keyPath: Type.String() }, { additionalProperties: false }), Type.Null()]) })
    expect(explain(O, { idem: { keyPath: 3 } })).toEqual([{ path: '/idem/keyPath', message: 'must be string' }])
    expect(explain(O, { idem: [] })).toEqual([{ path: '/idem', message: 'must be object or null' }])
    const N = Type.Object({ mode: Type.Union([Type.Literal('a'), Type.Literal('b'), Type.Null()]) })
    expect(explain(N, { mode: 'c' })).toEqual([{ path: '/mode', message: 'must be one of a, b, or null' }])
  })

  it("picks an object union's branch by its discriminator, and names the discriminator's values when none matches", () => {
    const S = Type.Object({ auth: Auth })
    expect(explain(S, { auth: { type: 'bearer', token: '' } })).toEqual([{ path: '/auth/token', message: 'must NOT have fewer than 1 characters' }])
    expect(explain(S, { auth: { type: 'bearer' } })).toEqual([{ path: '/auth/token', message: "must have required property 'token'" }])
    expect(explain(S, { auth: { type: 'oauth', token: 'x' } })).toEqual([{ path: '/auth/type', message: 'must be one of none, bearer, basic' }])
    expect(explain(S, { auth: 'bearer' })).toEqual([{ path: '/auth', message: 'must be object' }])
  })

  it('resolves a union inside the chosen branch of another, and leaves errors outside unions alone', () => {
    const S = Type.Object({
      list: Type.Array(Type.Union([Type.Object({ m: Method }, { additionalProperties: false }), Type.Null()])),
      name: Type.String({ maxLength: 2 }),
    })
    expect(explain(S, { list: [null, { m: 'X' }, 4], name: 'long' })).toEqual([
      { path: '/list/1/m', message: 'must be one of POST, PUT, PATCH, GET' },
      { path: '/list/2', message: 'must be object or null' },
      { path: '/name', message: 'must NOT have more than 2 characters' },
    ])
  })

  it('points a missing property at itself', () => {
    expect(explain(Type.Object({ a: Type.String() }), {})).toEqual([{ path: '/a', message: "must have required property 'a'" }])
  })
})
