import { BASE64_SHA256, anySecretMatches, fail, hmacSha256, OK, requireHeader, usableSecrets, type Verifier } from '../verifier.js'

/**
 * Shopify ("Verify webhooks", shopify.dev/docs/apps/build/webhooks/subscribe/https):
 * `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`, keyed by the app's client secret
 * as UTF-8. Shopify signs no timestamp (`X-Shopify-Triggered-At` is not covered by the HMAC), so
 * replays are left to the idempotency window, keyed best on `X-Shopify-Webhook-Id`.
 */
export const verifyShopify: Verifier = (input) => {
  const secrets = usableSecrets(input.secrets)
  if (secrets.length === 0) return fail('no signing secret is configured')

  const header = requireHeader(input.headers, 'x-shopify-hmac-sha256', 'X-Shopify-Hmac-Sha256')
  if ('failure' in header) return header.failure
  if (!BASE64_SHA256.test(header.value)) return fail('X-Shopify-Hmac-Sha256 header is not a base64 SHA-256 signature')

  const matched = anySecretMatches(secrets, (s) => hmacSha256(s, input.rawBody).toString('base64'), [header.value])
  return matched ? OK : fail('X-Shopify-Hmac-Sha256 does not match the body')
}
