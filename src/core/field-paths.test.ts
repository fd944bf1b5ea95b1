import { describe, expect, it } from 'vitest'
import { asEventTime, isValidPath, readPath } from './field-paths.js'

const src = {
  body: { type: 'invoice.paid', data: { object: { id: 'in_1', Amount: 5, lines: [{ sku: 'a' }, { sku: 'b' }], none: null } } },
  headers: { 'x-github-event': 'push', 'x-many': ['first', 'second'] },
}

describe('readPath', () => {
  it.each([
    ['type', 'invoice.paid'],
    ['data.object.id', 'in_1'],
    ['data.object.Amount', 5],
    ['data.object.amount', undefined],
    ['data.object.lines', [{ sku: 'a' }, { sku: 'b' }]],
    ['data.object.lines.1.sku', 'b'],
    ['data.object.lines.x', undefined],
    ['data.object.none', null],
    ['data.object.none.deeper', undefined],
    ['data.object.id.length', undefined],
    ['data.constructor', undefined],
    ['__proto__', undefined],
    ['$headers.X-GitHub-Event', 'push'],
    ['$headers.x-many', 'first'],
    ['$headers.absent', undefined],
  ])('%s -> %j', (path, expected) => {
    expect(readPath(src, path)).toEqual(expected)
  })
})

describe('isValidPath', () => {
  it('accepts dot paths and header paths, refuses empty segments', () => {
    for (const p of ['type', 'data.object.id', 'items.0', '$headers.X-GitHub-Event']) expect(isValidPath(p), p).toBe(true)
    for (const p of ['', '.a', 'a..b', 'a.', '$headers.', '$headers.bad name']) expect(isValidPath(p), p).toBe(false)
  })
})

describe('asEventTime', () => {
  it('reads ISO strings, Unix seconds and milliseconds', () => {
    expect(asEventTime('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5))
    expect(asEventTime(1767323045)).toBe(1767323045000)
    expect(asEventTime('1767323045')).toBe(1767323045000)
    expect(asEventTime(1767323045123)).toBe(1767323045123)
    for (const bad of ['soon', null, {}, -1, Number.NaN]) expect(asEventTime(bad)).toBeNull()
  })
})
