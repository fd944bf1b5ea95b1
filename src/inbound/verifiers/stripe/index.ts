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

/**
 * Stripe ("Check the webhook signatures", docs.stripe.com/webhooks#verify-manually):
 * `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`. Each `v1` is the hex
 * HMAC-SHA256 of `"{t}.{raw body}"` keyed by the whole endpoint secret, `whsec_` included, as
 * UTF-8 (unlike Standard Webhooks, Stripe does not base64-decode it). Several `v1` appear while
 * Stripe rolls a secret; any may match. `v0` is Stripe's test-mode-only legacy scheme and is
 * ignored, as Stripe's own libraries do. Stripe's libraries only refuse old timestamps; a
 * timestamp too far ahead is refused here as well, since it would stay replayable longer than the
 * tolerance (`toleranceSeconds`, default 300, Stripe's own default).
 */
export const verifyStripe: Verifier = (input) => {
  const secrets = usableSecrets(input.secrets)
  if (secrets.length === 0) return fail('no signing secret is configured')

  const header = requireHeader(input.headers, 'stripe-signature', 'Stripe-Signature')
  if ('failure' in header) return header.failure
  const parsed = parse(header.value)
  if (typeof parsed === 'string') return fail(parsed)

  const stale = timestampProblem(parsed.timestamp, input.nowMs, input.toleranceSeconds, 'Stripe-Signature timestamp')
  if (stale !== undefined) return fail(stale)

  // Sign the timestamp as received, so "0123" is not accepted for a signature over "123".
  const prefix = `${parsed.timestamp}.`
  const matched = anySecretMatches(secrets, (s) => hmacSha256(s, prefix, input.rawBody).toString('hex'), parsed.v1)
  return matched ? OK : fail('no v1 signature in Stripe-Signature matches the body')
}

/** The timestamp and the well-formed v1 signatures (lowercased), or why the header is unusable. */
function parse(value: string): { timestamp: string; v1: string[] } | string {
  let timestamp: string | undefined
  const v1: string[] = []
  for (const item of value.split(',')) {
    const eq = item.indexOf('=')
    if (eq < 0) continue
    const key = item.slice(0, eq).trim()
    const val = item.slice(eq + 1).trim()
    if (key === 't') {
      // Two timestamps make it ambiguous which one was signed.
      if (timestamp !== undefined) return 'Stripe-Signature header has more than one timestamp'
      timestamp = val
    } else if (key === 'v1' && HEX_SHA256.test(val)) {
      v1.push(val.toLowerCase())
    }
  }
  if (timestamp === undefined) return 'Stripe-Signature header has no timestamp (t=)'
  if (v1.length === 0) return 'Stripe-Signature header has no v1 signature'
  return { timestamp, v1 }
}
