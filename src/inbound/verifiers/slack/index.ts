import {
  HEX_SHA256,
  anySecretMatches,
  fail,
  hmacSha256,
  OK,
  requireHeader,
  timestampProblem,
  usableSecrets,
  type Verifier,
} from '../verifier.js'

const VERSION = 'v0'

/**
 * Slack ("Verifying requests from Slack", api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{X-Slack-Request-Timestamp}:{raw body}">`, keyed
 * by the app's signing secret as UTF-8. Slack asks receivers to refuse timestamps more than five
 * minutes off, which is how a captured request stops being replayable; here the window is
 * `toleranceSeconds` either way (default 300).
 */
export const verifySlack: Verifier = (input) => {
  const secrets = usableSecrets(input.secrets)
  if (secrets.length === 0) return fail('no signing secret is configured')

  const signature = requireHeader(input.headers, 'x-slack-signature', 'X-Slack-Signature')
  if ('failure' in signature) return signature.failure
  const timestamp = requireHeader(input.headers, 'x-slack-request-timestamp', 'X-Slack-Request-Timestamp')
  if ('failure' in timestamp) return timestamp.failure

  const stale = timestampProblem(timestamp.value, input.nowMs, input.toleranceSeconds, 'X-Slack-Request-Timestamp')
  if (stale !== undefined) return fail(stale)
  const hex = signature.value.startsWith(`${VERSION}=`) ? signature.value.slice(VERSION.length + 1) : ''
  if (!HEX_SHA256.test(hex)) return fail('X-Slack-Signature header is not v0=<hex>')

  // Sign the timestamp as received, so "0123" is not accepted for a signature over "123".
  const base = `${VERSION}:${timestamp.value}:`
  const matched = anySecretMatches(secrets, (s) => hmacSha256(s, base, input.rawBody).toString('hex'), [hex.toLowerCase()])
  return matched ? OK : fail('X-Slack-Signature does not match the body')
}
