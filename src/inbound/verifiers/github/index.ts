import { HEX_SHA256, anySecretMatches, fail, hmacSha256, OK, requireHeader, usableSecrets, type Verifier } from '../verifier.js'

const PREFIX = 'sha256='

/**
 * GitHub ("Validating webhook deliveries", docs.github.com/webhooks): `X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256 of the raw body>`, keyed by the webhook secret's UTF-8 bytes. The older
 * `X-Hub-Signature` (SHA-1) is not accepted: GitHub sends both, and SHA-1 is only kept for legacy
 * receivers. GitHub signs no timestamp; replays are left to the idempotency window.
 */
export const verifyGithub: Verifier = (input) => {
  const secrets = usableSecrets(input.secrets)
  if (secrets.length === 0) return fail('no signing secret is configured')

  const header = requireHeader(input.headers, 'x-hub-signature-256', 'X-Hub-Signature-256')
  if ('failure' in header) return header.failure
  const hex = header.value.startsWith(PREFIX) ? header.value.slice(PREFIX.length) : ''
  if (!HEX_SHA256.test(hex)) return fail('X-Hub-Signature-256 header is not sha256=<hex>')

  const matched = anySecretMatches(secrets, (s) => hmacSha256(s, input.rawBody).toString('hex'), [hex.toLowerCase()])
  return matched ? OK : fail('X-Hub-Signature-256 does not match the body')
}
