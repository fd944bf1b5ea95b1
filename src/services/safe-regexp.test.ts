import { describe, expect, it } from 'vitest'
import { safeRegExp } from './safe-regexp.js'

describe('safeRegExp', () => {
  it('compiles ordinary patterns as they read, long counted repeats too', () => {
    expect(safeRegExp('^[a-z]{2,5}\\d+$', 'u').test('ab12')).toBe(true)
    expect(safeRegExp('^.{1,100}$', 'u').test('x'.repeat(100))).toBe(true)
    expect(safeRegExp('^[a-z]{1,64}$', 'u').test('x'.repeat(65))).toBe(false)
    expect(safeRegExp('^(a|b)+$', 'u').test('abba')).toBe(true)
  })

  it('answers a catastrophic pattern in linear time', () => {
    const re = safeRegExp('^(a+)+$', 'u')
    const t0 = performance.now()
    expect(re.test(`${'a'.repeat(5000)}b`)).toBe(false)
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('refuses a nested repeat the linear engine cannot take, and Unicode escapes', () => {
    expect(() => safeRegExp('^(\\w+\\s?){1,40}$', 'u')).toThrow(/exponential/)
    expect(() => safeRegExp('^(a+)+\\1$', 'u')).toThrow(/exponential/)
    expect(() => safeRegExp('^\\p{L}+$', 'u')).toThrow(/Unicode/)
  })

  it('refuses backreferences, lookarounds and repeated alternatives the linear engine cannot take', () => {
    // Each took over 13 s against 28 a's and a b before it was refused.
    expect(() => safeRegExp('^(a|a)*\\1$', 'u')).toThrow(/backreference/)
    expect(() => safeRegExp('^(\\w|\\d)*(?=$)b$', 'u')).toThrow(/lookaround/)
    expect(() => safeRegExp('^(?<x>a)\\k<x>$', 'u')).toThrow(/backreference/)
    expect(() => safeRegExp('^(?!admin)[a-z]+$', 'u')).toThrow(/lookaround/)
    expect(() => safeRegExp('^(a|aa){1,100}$', 'u')).toThrow(/alternatives/)
  })
})
