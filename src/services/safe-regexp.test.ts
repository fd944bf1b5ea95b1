import { describe, expect, it } from 'vitest'
import { hasNestedRepeat, safeRegExp } from './safe-regexp.js'

describe('hasNestedRepeat', () => {
  it('finds a repeated group that repeats inside, however deep', () => {
    for (const p of ['(a+)+', '^(a*)*$', '(\\w+\\s?){1,40}', '((ab)+c)*', '(?:x(y{2,})z)+', '(a+?)+', '([a-z]+)*$']) expect(hasNestedRepeat(p), p).toBe(true)
  })

  it('passes single repeats, bounded groups and repeats in classes or escapes', () => {
    for (const p of ['^a+$', '^(ab)+$', '^(a+)?$', '(a+){1}', '^[a-z]{2,5}\\d+$', '^[(+)]+$', '^\\(a+\\)+$', '^.{1,100}$', '(a|b)+', '^\\d{4}-\\d{2}$']) {
      expect(hasNestedRepeat(p), p).toBe(false)
    }
  })
})

describe('safeRegExp', () => {
  it('compiles ordinary patterns as they read', () => {
    expect(safeRegExp('^[a-z]{2,5}\\d+$', 'u').test('ab12')).toBe(true)
    expect(safeRegExp('^.{1,100}$', 'u').test('x'.repeat(100))).toBe(true)
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
})
