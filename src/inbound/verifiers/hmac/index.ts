import {
  BASE64_SHA256,
  HEX_SHA256,
  anySecretMatches,
  fail,
  hmacSha256,
  OK,
  requireHeader,
  usableSecrets,
  type Verifier,
} from '../verifier.js'

/** Header read when a source does not name one. */
export const DEFAULT_HMAC_HEADER = 'X-Hookrelay-Signature'

/**
 * The generic scheme most senders use: HMAC-SHA256 (RFC 2104) of the raw body, keyed by the
 * secret's UTF-8 bytes, in one header. Configurable per source: `header` (default
 * `X-Hookrelay-Signature`; Knock's HTTP sources use `X-Knock-Signature`), `encoding` (default
 * `hex`, compared case-insensitively; or `base64`, compared exactly) and `prefix` (default none;
 * when set, e.g. `sha256=`, it must be present). No timestamp is signed, so this scheme cannot
 * refuse a replay: the idempotency window is the defence there.
 */
export const verifyHmac: Verifier = (input) => {
  const name = input.header ?? DEFAULT_HMAC_HEADER
  const encoding = input.encoding ?? 'hex'
  const prefix = input.prefix ?? ''
  // Sources are stored as JSON, so guard against values the type rules out.
  if (encoding !== 'hex' && encoding !== 'base64') return fail('unsupported signature encoding')
  const secrets = usableSecrets(input.secrets)
  if (secrets.length === 0) return fail('no signing secret is configured')

  const header = requireHeader(input.headers, name)
  if ('failure' in header) return header.failure
  if (!header.value.startsWith(prefix)) return fail(`${name} header lacks the expected prefix`)
  const signature = header.value.slice(prefix.length)
  if (!(encoding === 'hex' ? HEX_SHA256 : BASE64_SHA256).test(signature)) {
    return fail(`${name} header is not a ${encoding} SHA-256 signature`)
  }

  // Hex is case-insensitive (RFC 4648 section 8), base64 is not.
  const candidate = encoding === 'hex' ? signature.toLowerCase() : signature
  const matched = anySecretMatches(secrets, (s) => hmacSha256(s, input.rawBody).toString(encoding), [candidate])
  return matched ? OK : fail(`${name} does not match the body`)
}
