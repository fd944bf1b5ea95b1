import { isUtf8 } from 'node:buffer'
import { verify } from '../../../core/signing/standard-webhooks.js'
import {
  fail,
  headerValue,
  OK,
  requireHeader,
  timestampProblem,
  usableSecrets,
  type Verifier,
  type VerifyInput,
  type VerifyResult,
} from '../verifier.js'

/**
 * Standard Webhooks (standardwebhooks.com, spec "Verifying webhook authenticity"), as sent by
 * Svix, Clerk, Resend and others: `webhook-id`, `webhook-timestamp` and `webhook-signature`
 * (space-separated `v1,<base64>` entries), or the same headers with Svix's `svix-` prefix, read
 * header by header as Svix's library does. The secret is `whsec_` + base64 key. The HMAC itself is
 * our outbound signer's `verify`, so both directions share one implementation. Timestamps more than
 * `toleranceSeconds` (default 300, the spec's five minutes) off either way are refused.
 */
export const verifyStandardWebhooks: Verifier = (input) => {
  const secrets = usableSecrets(input.secrets)
  if (secrets.length === 0) return fail('no signing secret is configured')

  const id = pick(input.headers, 'id')
  if ('failure' in id) return id.failure
  const timestamp = pick(input.headers, 'timestamp')
  if ('failure' in timestamp) return timestamp.failure
  const signature = pick(input.headers, 'signature')
  if ('failure' in signature) return signature.failure

  const stale = timestampProblem(timestamp.value, input.nowMs, input.toleranceSeconds, timestamp.name)
  if (stale !== undefined) return fail(stale)
  if (!signature.value.split(' ').some((part) => part.startsWith('v1,'))) {
    return fail(`${signature.name} header has no v1 signature`)
  }
  // The spec signs the payload as text and the reference libraries take a string. Decoding bytes
  // that are not UTF-8 would map different bodies to the same text (U+FFFD), letting a signature
  // over one vouch for another, so such bodies are refused instead.
  if (!isUtf8(input.rawBody)) return fail('body is not valid UTF-8')

  const body = input.rawBody.toString('utf8')
  const nowSec = Math.floor(input.nowMs / 1000)
  const headers = { id: id.value, timestamp: timestamp.value, signature: signature.value }
  const matched = secrets.some((secret) => verify(secret, headers, body, nowSec, input.toleranceSeconds))
  return matched ? OK : fail(`no v1 signature in ${signature.name} matches the body`)
}

/** `webhook-{name}`, else `svix-{name}`, with the name of the one read so reasons can cite it. */
function pick(headers: VerifyInput['headers'], name: string): { value: string; name: string } | { failure: VerifyResult } {
  for (const header of [`webhook-${name}`, `svix-${name}`]) {
    const read = requireHeader(headers, header)
    if (!('failure' in read)) return { value: read.value, name: header }
    // Present but unusable (too long) speaks for itself; absent falls through to the other spelling.
    if (headerValue(headers, header) !== undefined) return read
  }
  return { failure: fail(`missing webhook-${name} (or svix-${name}) header`) }
}
