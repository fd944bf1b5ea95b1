import { describe, expect, it } from 'vitest'
import { fieldsAsParams, withQueryParams } from './query-string.js'

describe('withQueryParams', () => {
  it.each([
    ['http://h/p', [], 'http://h/p'],
    ['http://h/p', [['a', '1']], 'http://h/p?a=1'],
    ['http://h/p?x=1', [['a', '1']], 'http://h/p?x=1&a=1'],
    ['http://h/p?x=1&a=old&a=older', [['a', 'new']], 'http://h/p?x=1&a=new'],
    ['http://h/p?', [['a', '1']], 'http://h/p?a=1'],
    ['http://h/p?x=a+b&y', [['y', '2']], 'http://h/p?x=a+b&y=2'],
    ['http://h/p?my%20key=1', [['my key', '2']], 'http://h/p?my%20key=2'],
    ['http://h/p#frag', [['a', '1']], 'http://h/p?a=1#frag'],
    ['http://h/p', [['q', 'a b&c=d/é']], 'http://h/p?q=a%20b%26c%3Dd%2F%C3%A9'],
  ] as Array<[string, Array<[string, string]>, string]>)('%s + %j -> %s', (url, params, expected) => {
    expect(withQueryParams(url, params)).toBe(expected)
  })
})

describe('fieldsAsParams', () => {
  it('keeps strings, writes other values as JSON, null as empty', () => {
    expect(fieldsAsParams({ s: 'x y', n: 1.5, t: true, z: null, o: { a: [1] }, l: ['a', 2] })).toEqual([
      ['s', 'x y'],
      ['n', '1.5'],
      ['t', 'true'],
      ['z', ''],
      ['o', '{"a":[1]}'],
      ['l', '["a",2]'],
    ])
  })
})
