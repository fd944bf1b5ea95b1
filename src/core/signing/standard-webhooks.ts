import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"):
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, keyed
 * by the base64-decoded part of a `whsec_` secret. Several signatures are separated by spaces,
 * which is how a rotation signs with the old and the new secret at once. Svix uses the same scheme.
 */

const PREFIX = 'whsec_'
/** The spec recommends 24 to 64 bytes of key. */
const MIN_KEY_BYTES = 24
const MAX_KEY_BYTES = 64
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

/** True for `whsec_` + canonical base64 of 24 to 64 bytes. */
export function isValidSecret(s: string): boolean {
  if (!s.startsWith(PREFIX)) return false
  const body = s.slice(PREFIX.length)
  if (body.length === 0 || !BASE64.test(body)) return false
  const bytes = Buffer.byteLength(body, 'base64')
  return bytes >= MIN_KEY_BYTES && bytes <= MAX_KEY_BYTES
}

// Every delivery signs with its endpoint's secret, so decoded keys are kept. Bounded: when full it
// is simply emptied, which costs one decode per secret and never holds more than this many.
const KEY_CACHE_LIMIT = 1024
const keyCache = new Map<string, Buffer>()

/**
 * The HMAC key of a secret: the base64 after an optional `whsec_`, decoded as the reference
 * libraries do. A secret that is not base64 (an inbound source takes whatever secret its sender
 * picked) is its own UTF-8 bytes, as the reference libraries' `raw` format reads it. The Buffer is
 * shared from a cache: read it, never write to it.
 */
export function secretKey(secret: string): Buffer {
  let key = keyCache.get(secret)
  if (key) return key
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret
  key = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.from(secret, 'utf8')
  // An empty key would still produce signatures, ones anybody could forge.
  if (key.length === 0) throw new Error('webhook secret is empty')
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear()
  keyCache.set(secret, key)
  return key
}

/** `v1,<signature>` of one message; `timestampSec` is Unix seconds, as in `webhook-timestamp`. */
export function sign(secret: string, msgId: string, timestampSec: number, body: string): string {
  if (!Number.isSafeInteger(timestampSec)) throw new RangeError(`timestamp must be whole seconds, got ${timestampSec}`)
  return 'v1,' + hmac(secretKey(secret), msgId, String(timestampSec), body)
}

/** The `webhook-signature` header value: one signature per secret, space-separated. */
export function signatureHeader(secrets: readonly string[], msgId: string, timestampSec: number, body: string): string {
  if (secrets.length === 0) throw new Error('no secret to sign with')
  return secrets.map((secret) => sign(secret, msgId, timestampSec, body)).join(' ')
}

/**
 * True when one of the `v1,` signatures in `headers.signature` was made with `secret` over this
 * id, timestamp and body, and the timestamp is within `toleranceSec` of `nowSec` either way (the
 * spec's replay protection; 5 minutes as in the reference libraries).
 */
export function verify(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSec: number,
  toleranceSec = 300,
): boolean {
  if (!/^\d{1,15}$/.test(headers.timestamp)) return false
  const timestamp = Number(headers.timestamp)
  if (Math.abs(nowSec - timestamp) > toleranceSec) return false
  let key: Buffer
  try {
    key = secretKey(secret)
  } catch {
    return false
  }
  // Sign the timestamp as received, so "0123" is not accepted for a signature over "123".
  const expected = Buffer.from(hmac(key, headers.id, headers.timestamp, body))
  let matched = false
  for (const part of headers.signature.split(' ')) {
    if (!part.startsWith('v1,')) continue // other versions (v1a: asymmetric) are not ours to check
    const candidate = Buffer.from(part.slice(3))
    // timingSafeEqual throws on a length mismatch; the length of a signature is no secret.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true
  }
  return matched
}

function hmac(key: Buffer, msgId: string, timestamp: string, body: string): string {
  return createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`).digest('base64')
}
