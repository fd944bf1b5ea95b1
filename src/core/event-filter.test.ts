import { describe, expect, it } from 'vitest'
import { isValidEventTypeName, isValidEventTypePattern, matchesChannels, matchesEventType } from './event-filter.js'

describe('matchesEventType', () => {
  it.each([
    // empty list: everything
    [[], 'invoice.paid', true],
    [[], 'x', true],
    // exact
    [['invoice.paid'], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid.late', false],
    [['invoice.paid'], 'invoice', false],
    [['invoice.paid'], 'invoice.pai', false],
    [['invoice'], 'invoice.paid', false],
    // trailing *: one or more segments
    [['invoice.*'], 'invoice.paid', true],
    [['invoice.*'], 'invoice.paid.late', true],
    [['invoice.*'], 'invoice', false],
    [['invoice.*'], 'invoices.paid', false],
    [['invoice.*'], 'billing.invoice.paid', false],
    [['request.*'], 'request.server_error', true],
    // lone *
    [['*'], 'invoice', true],
    [['*'], 'invoice.paid.late', true],
    [['*'], 'webhook.test', true],
    // inner *: exactly one segment
    [['*.paid'], 'invoice.paid', true],
    [['*.paid'], 'paid', false],
    [['*.paid'], 'a.b.paid', false],
    [['invoice.*.late'], 'invoice.paid.late', true],
    [['invoice.*.late'], 'invoice.late', false],
    [['invoice.*.late'], 'invoice.a.b.late', false],
    [['invoice.*.late'], 'invoice.paid.late.really', false],
    // inner and trailing
    [['*.*'], 'a', false],
    [['*.*'], 'a.b', true],
    [['*.*'], 'a.b.c', true],
    [['a.*.*'], 'a.b', false],
    [['a.*.*'], 'a.b.c.d', true],
    // partial-segment wildcards are literal
    [['invoice*'], 'invoice.paid', false],
    [['invoice*'], 'invoices', false],
    [['inv*.paid'], 'invoice.paid', false],
    // any of several
    [['customer.created', 'invoice.*'], 'invoice.paid', true],
    [['customer.created', 'invoice.*'], 'customer.created', true],
    [['customer.created', 'invoice.*'], 'customer.deleted', false],
    // case and separators are exact
    [['Invoice.paid'], 'invoice.paid', false],
    [['invoice-paid'], 'invoice.paid', false],
  ] as const)('%j ~ %j = %s', (patterns, type, expected) => {
    expect(matchesEventType(patterns, type)).toBe(expected)
  })
})

describe('matchesChannels', () => {
  it.each([
    [[], [], true],
    [[], ['a'], true],
    [['a'], [], false],
    [['a'], ['a'], true],
    [['a'], ['b'], false],
    [['a', 'b'], ['c', 'b'], true],
    [['a', 'b'], ['c', 'd'], false],
    [['checkout-route'], ['checkout-route'], true],
    [['A'], ['a'], false],
  ] as const)('endpoint %j, event %j = %s', (endpoint, event, expected) => {
    expect(matchesChannels(endpoint, event)).toBe(expected)
  })
})

describe('isValidEventTypeName', () => {
  it.each([
    ['invoice', true],
    ['invoice.paid', true],
    ['request.server_error', true],
    ['a-b.c_d.0', true],
    ['x'.repeat(128), true],
    ['x'.repeat(129), false],
    ['', false],
    ['.', false],
    ['invoice.', false],
    ['.invoice', false],
    ['invoice..paid', false],
    ['Invoice.paid', false],
    ['invoice.*', false],
    ['invoice paid', false],
    ['invoice/paid', false],
    ['invoice.paid\n', false],
  ])('%j -> %s', (name, expected) => {
    expect(isValidEventTypeName(name)).toBe(expected)
  })
})

describe('isValidEventTypePattern', () => {
  it.each([
    ['invoice.paid', true],
    ['*', true],
    ['invoice.*', true],
    ['*.paid', true],
    ['*.*', true],
    ['a.*.c', true],
    [`${'x'.repeat(126)}.*`, true],
    [`${'x'.repeat(127)}.*`, false],
    ['', false],
    ['**', false],
    ['invoice*', false],
    ['invoice.**', false],
    ['invoice.', false],
    ['.*', false],
    ['invoice..*', false],
    ['INVOICE.*', false],
    ['invoice.#', false],
    ['invoice.>', false],
  ])('%j -> %s', (p, expected) => {
    expect(isValidEventTypePattern(p)).toBe(expected)
  })
})
