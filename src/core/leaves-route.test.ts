import { describe, expect, it } from 'vitest'
import { leavesRoute } from './leaves-route.js'

describe('leavesRoute', () => {
  it('refuses every spelling of a climb above the route base', () => {
    for (const rest of [
      '/..',
      '/../admin',
      '/a/../../admin',
      '/%2e%2e/admin',
      '/%2E%2e',
      '/.%2e/x',
      '/..%2f..%2fescape',
      '/..%2F..%2Fescape',
      '/a%2f..%2f..%2fescape',
      '/..%5cadmin',
      '/..\\admin',
      '/a\\..\\..\\admin',
      '/%252e%252e/admin',
      '/..%252f..%252fescape',
      '/%25252e%25252e/x',
      '/./../x',
    ]) {
      expect(leavesRoute(rest), rest).toBe(true)
    }
  })

  it('lets paths through that stay inside the route, dots and escapes included', () => {
    for (const rest of [
      '',
      '/',
      '/a/b',
      '/a/../b',
      '/a/%2e%2e/b',
      '/x/..%2fy',
      '/files/a%20b.txt',
      '/files/a%2Fb',
      '/...',
      '/..a',
      '/a..',
      '/%c0%ae%c0%ae/x',
      '/100%',
      '/%zz',
      '/./a/./b/',
    ]) {
      expect(leavesRoute(rest), rest).toBe(false)
    }
  })
})
