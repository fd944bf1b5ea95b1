import { describe, expect, it } from 'vitest'
import { regexpShape } from './regexp-shape.js'

const shape = (p: string) => regexpShape(p)

describe('regexpShape: nestedRepeat', () => {
  it('finds a repeated group that repeats inside, however deep', () => {
    for (const p of ['(a+)+', '^(a*)*$', '(\\w+\\s?){1,40}', '((ab)+c)*', '(?:x(y{2,})z)+', '(a+?)+', '([a-z]+)*$', '(?<w>a+)+']) expect(shape(p).nestedRepeat, p).toBe(true)
  })

  it('passes single repeats, bounded groups and repeats in classes or escapes', () => {
    for (const p of ['^a+$', '^(ab)+$', '^(a+)?$', '(a+){1}', '^[a-z]{2,5}\\d+$', '^[(+)]+$', '^\\(a+\\)+$', '^.{1,100}$', '(a|b)+', '^\\d{4}-\\d{2}$', '(?=a+)b']) {
      expect(shape(p).nestedRepeat, p).toBe(false)
    }
  })
})

describe('regexpShape: repeatedAlternation', () => {
  it('finds alternatives inside a group that repeats, however deep', () => {
    for (const p of ['^(a|a)*\\1$', '^(\\w|\\d)*(?=$)b$', '(?:x|y)+', '((a|b)c){2,}', '(a|b)+?', '(?:(?:a|b))*']) expect(shape(p).repeatedAlternation, p).toBe(true)
  })

  it('passes alternatives outside a repeat, in a group that repeats at most once, or in classes and escapes', () => {
    for (const p of ['^a|b+$', '^(a|b)$', '^(a|b)?c+$', '(a|b){1}', '^[a|b]+$', '^(a\\|b)+$', '^(ab)+(c|d)$']) expect(shape(p).repeatedAlternation, p).toBe(false)
  })
})

describe('regexpShape: backreference and lookaround', () => {
  it('finds \\1..\\9 and \\k<name> outside classes, not an escaped backslash before a digit', () => {
    for (const p of ['^(a)\\1$', '(a)(b)(c)(d)(e)(f)(g)(h)(i)\\9', '(?<x>a)\\k<x>']) expect(shape(p).backreference, p).toBe(true)
    for (const p of ['^\\\\1$', '^[\\1]$', '^\\d+$', '^a{1}$', '\\0']) expect(shape(p).backreference, p).toBe(false)
  })

  it('finds each kind of lookaround, not a named group or a non-capturing one', () => {
    for (const p of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b', '^(\\w|\\d)*(?=$)b$']) expect(shape(p).lookaround, p).toBe(true)
    for (const p of ['(?:ab)+', '(?<name>a)', '\\(?=a', '[(?=]', 'a?=b']) expect(shape(p).lookaround, p).toBe(false)
  })
})
