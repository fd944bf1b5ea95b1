import { describe, expect, it } from 'vitest'
import { AppError } from '../errors.js'
import { parseTime } from './parse-time.js'

describe('parseTime', () => {
  it('reads RFC 3339 times in any zone, with or without fractions', () => {
    expect(parseTime('2026-11-23T12:00:00Z', '/since')).toBe(Date.UTC(2026, 10, 23, 12))
    expect(parseTime('2026-11-23T13:30:00.250+01:30', '/since')).toBe(Date.UTC(2026, 10, 23, 12, 0, 0, 250))
    expect(parseTime('2024-02-29T00:00:00z', '/since')).toBe(Date.UTC(2024, 1, 29))
  })

  it('reads a date, or a time without a zone, as UTC', () => {
    expect(parseTime('2026-11-23', '/since')).toBe(Date.UTC(2026, 10, 23))
    expect(parseTime('2026-11-23T12:30', '/since')).toBe(Date.UTC(2026, 10, 23, 12, 30))
    expect(parseTime('2026-11-23T12:30:15.5', '/since')).toBe(Date.UTC(2026, 10, 23, 12, 30, 15, 500))
  })

  it('refuses impossible days and times, and other formats, naming the path', () => {
    for (const text of ['2020-02-30T00:00:00Z', '2023-02-29', '2026-13-01T00:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T12:60:00Z', '2026-11-23T12', 'March 3 2026', '1763900000', '']) {
      let thrown: unknown
      try {
        parseTime(text, '/query/since')
      } catch (err) {
        thrown = err
      }
      expect(thrown, text).toBeInstanceOf(AppError)
      expect((thrown as AppError).errors[0]?.path).toBe('/query/since')
    }
  })
})
