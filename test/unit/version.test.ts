import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { USER_AGENT } from '../../src/core/shaping/outbound-request.js'
import { VERSION } from '../../src/version.js'

it('VERSION and the user agent follow package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  expect(VERSION).toBe(pkg.version)
  expect(USER_AGENT).toBe(`hookrelay/${pkg.version}`)
})
