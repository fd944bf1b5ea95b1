import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { VerifyInput } from '../verifier.js'
import { verifySlack } from './index.js'

// The worked example in Slack's "Verifying requests from Slack" (a slash command, form-encoded).
const DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: 1531420618,
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
    '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
    '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
    '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
}

// Slack's SDKs need a whole app to verify a request, so the signer here is node:crypto.
const SECRET = 'hookrelay-slack-signing-secret'
const BODY = '{"type":"event_callback","event":{"type":"app_mention","text":"Zoë 🚀"}}'
const NOW_SEC = 1_700_000_000
const sign = (secret: string, ts: number | string, body: string): string =>
  'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')

function input(headers: VerifyInput['headers'], overrides: Partial<VerifyInput> = {}): VerifyInput {
  return { rawBody: Buffer.from(BODY), headers, secrets: [SECRET], nowMs: NOW_SEC * 1000, toleranceSeconds: 300, ...overrides }
}
const headers = (ts: number | string, signature: string): VerifyInput['headers'] => ({
  'x-slack-request-timestamp': String(ts),
  'x-slack-signature': signature,
})

describe('verifySlack', () => {
  it("accepts Slack's documented example", () => {
    const result = verifySlack({
      rawBody: Buffer.from(DOC.body),
      headers: headers(DOC.timestamp, DOC.signature),
      secrets: [DOC.secret],
      nowMs: (DOC.timestamp + 60) * 1000,
      toleranceSeconds: 300,
    })
    expect(result).toEqual({ ok: true })
  })

  it("refuses Slack's example replayed later", () => {
    const result = verifySlack({
      rawBody: Buffer.from(DOC.body),
      headers: headers(DOC.timestamp, DOC.signature),
      secrets: [DOC.secret],
      nowMs: (DOC.timestamp + 3600) * 1000,
      toleranceSeconds: 300,
    })
    expect(result).toEqual({ ok: false, reason: 'X-Slack-Request-Timestamp is 3600 s old, more than the 300 s allowed' })
  })

  it('accepts a signed JSON event and refuses it tampered or under another secret', () => {
    const h = headers(NOW_SEC - 5, sign(SECRET, NOW_SEC - 5, BODY))
    expect(verifySlack(input(h))).toEqual({ ok: true })
    expect(verifySlack(input(h, { rawBody: Buffer.from(BODY.replace('hi', 'ho').replace('Zoë', 'Zoe')) }))).toEqual({
      ok: false,
      reason: 'X-Slack-Signature does not match the body',
    })
    expect(verifySlack(input(h, { secrets: ['other'] })).ok).toBe(false)
    expect(verifySlack(input({ ...h, 'x-slack-request-timestamp': String(NOW_SEC - 4) })).ok).toBe(false)
  })

  it('accepts the previous secret during a rotation', () => {
    const h = headers(NOW_SEC, sign('previous', NOW_SEC, BODY))
    expect(verifySlack(input(h, { secrets: [SECRET, 'previous'] }))).toEqual({ ok: true })
  })

  it('refuses timestamps beyond the tolerance either way, and accepts the edge', () => {
    const at = (ts: number): ReturnType<typeof verifySlack> => verifySlack(input(headers(ts, sign(SECRET, ts, BODY))))
    expect(at(NOW_SEC - 300)).toEqual({ ok: true })
    expect(at(NOW_SEC + 300)).toEqual({ ok: true })
    expect(at(NOW_SEC - 301).ok).toBe(false)
    expect(at(NOW_SEC + 301)).toEqual({ ok: false, reason: 'X-Slack-Request-Timestamp is 301 s in the future, more than the 300 s allowed' })
  })

  it('names a missing header', () => {
    expect(verifySlack(input({ 'x-slack-request-timestamp': String(NOW_SEC) }))).toEqual({
      ok: false,
      reason: 'missing X-Slack-Signature header',
    })
    expect(verifySlack(input({ 'x-slack-signature': sign(SECRET, NOW_SEC, BODY) }))).toEqual({
      ok: false,
      reason: 'missing X-Slack-Request-Timestamp header',
    })
  })

  it.each([
    ['no v0= prefix', headers(NOW_SEC, sign(SECRET, NOW_SEC, BODY).slice(3))],
    ['another version', headers(NOW_SEC, 'v1=' + sign(SECRET, NOW_SEC, BODY).slice(3))],
    ['a non-numeric timestamp', headers('soon', sign(SECRET, 'soon', BODY))],
    ['a timestamp in milliseconds', headers(NOW_SEC * 1000, sign(SECRET, NOW_SEC * 1000, BODY))],
    ['a timestamp with a leading zero', headers(`0${NOW_SEC}`, sign(SECRET, NOW_SEC, BODY))],
    ['a huge signature', headers(NOW_SEC, 'v0=' + 'a'.repeat(1_000_000))],
    ['a huge timestamp', headers('9'.repeat(400), sign(SECRET, NOW_SEC, BODY))],
    ['arrays', { 'x-slack-request-timestamp': [], 'x-slack-signature': ['v0=', 'v0=00'] }],
  ])('refuses %s without throwing', (_name, h) => {
    expect(verifySlack(input(h)).ok).toBe(false)
  })

  it('never lets an empty secret authenticate', () => {
    expect(verifySlack(input(headers(NOW_SEC, sign('', NOW_SEC, BODY)), { secrets: [''] }))).toEqual({
      ok: false,
      reason: 'no signing secret is configured',
    })
  })
})
