import { createHmac } from 'node:crypto'
import { sign, verify } from '@octokit/webhooks-methods'
import { describe, expect, it } from 'vitest'
import type { VerifyInput } from '../verifier.js'
import { verifyGithub } from './index.js'

const SECRET = 'hookrelay-github-secret'
const BODY = '{"action":"opened","number":1347,"repository":{"full_name":"octocat/Hello-World"},"title":"Zoë 🚀"}'

function input(headers: VerifyInput['headers'], overrides: Partial<VerifyInput> = {}): VerifyInput {
  return { rawBody: Buffer.from(BODY), headers, secrets: [SECRET], nowMs: 1_700_000_000_000, toleranceSeconds: 300, ...overrides }
}

describe('verifyGithub', () => {
  it("accepts the example in GitHub's docs", () => {
    const result = verifyGithub({
      rawBody: Buffer.from('Hello, World!'),
      headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
      secrets: ["It's a Secret to Everybody"],
      nowMs: 0,
      toleranceSeconds: 300,
    })
    expect(result).toEqual({ ok: true })
  })

  it('accepts what @octokit/webhooks-methods signs, and octokit accepts the same header', async () => {
    const header = await sign(SECRET, BODY)
    expect(verifyGithub(input({ 'x-hub-signature-256': header }))).toEqual({ ok: true })
    expect(await verify(SECRET, BODY, header)).toBe(true)
  })

  it('refuses a tampered body and a wrong secret', async () => {
    const header = await sign(SECRET, BODY)
    expect(verifyGithub(input({ 'x-hub-signature-256': header }, { rawBody: Buffer.from(BODY.replace('1347', '1348')) }))).toEqual({
      ok: false,
      reason: 'X-Hub-Signature-256 does not match the body',
    })
    expect(verifyGithub(input({ 'x-hub-signature-256': header }, { secrets: ['wrong'] })).ok).toBe(false)
  })

  it('accepts the previous secret during a rotation', async () => {
    const header = await sign('previous-secret', BODY)
    expect(verifyGithub(input({ 'x-hub-signature-256': header }, { secrets: [SECRET, 'previous-secret'] }))).toEqual({ ok: true })
  })

  it('accepts uppercase hex', async () => {
    const header = await sign(SECRET, BODY)
    expect(verifyGithub(input({ 'x-hub-signature-256': 'sha256=' + header.slice(7).toUpperCase() }))).toEqual({ ok: true })
  })

  it('does not fall back to the SHA-1 X-Hub-Signature', () => {
    const sha1 = 'sha1=' + createHmac('sha1', SECRET).update(BODY).digest('hex')
    expect(verifyGithub(input({ 'x-hub-signature': sha1 }))).toEqual({ ok: false, reason: 'missing X-Hub-Signature-256 header' })
  })

  it.each([
    ['bare hex', createHmac('sha256', SECRET).update(BODY).digest('hex')],
    ['the sha1 prefix', 'sha1=' + 'a'.repeat(64)],
    ['an uppercase prefix', 'SHA256=' + 'a'.repeat(64)],
    ['a truncated digest', 'sha256=757107ea0eb2509f'],
    ['only the prefix', 'sha256='],
    ['a huge value', 'sha256=' + 'a'.repeat(1_000_000)],
  ])('refuses %s without throwing', (_name, value) => {
    expect(verifyGithub(input({ 'x-hub-signature-256': value })).ok).toBe(false)
  })

  it('never lets an empty secret authenticate', async () => {
    const header = 'sha256=' + createHmac('sha256', '').update(BODY).digest('hex')
    expect(verifyGithub(input({ 'x-hub-signature-256': header }, { secrets: [''] }))).toEqual({
      ok: false,
      reason: 'no signing secret is configured',
    })
    expect(await verify(SECRET, BODY, header)).toBe(false)
  })
})
