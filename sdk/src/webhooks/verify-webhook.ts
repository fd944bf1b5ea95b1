/**
 * Standard Webhooks verification (https://www.standardwebhooks.com, the spec's "Verifying"
 * section): the signed content is `{id}.{timestamp}.{body}` with the raw body bytes as received,
 * HMAC-SHA256 keyed by the secret, base64, sent as `v1,<sig>`; several space-separated signatures
 * during a secret rotation, any one of which may match. Svix's `svix-*` header names are accepted
 * as well. Synchronous and dependency-free, so it runs the same in Node, browsers, Deno, Bun and
 * edge runtimes.
 */
import { secretKey, base64Decode, base64Encode, type WebhookSecret } from './secret-key.js'
import { hmacSha256 } from './sha256.js'
import { WebhookVerificationError } from './webhook-verification-error.js'

export type { WebhookSecret }

/** A Fetch `Headers`, anything with `get(name)`, or Node's header object (names in any case). */
export type WebhookHeaders = { get(name: string): string | null | undefined } | Record<string, string | string[] | undefined>

/** The raw body exactly as received: a string, or bytes (a Node Buffer is a Uint8Array). */
export type RawBody = string | Uint8Array | ArrayBuffer

export interface VerifyWebhookOptions {
  /** How far the timestamp may be from now, either way, in seconds. Default 300. */
  toleranceSeconds?: number
  /** The time to judge the timestamp by (ms since the epoch or a Date). Default: now. */
  now?: number | Date
}

export const DEFAULT_TOLERANCE_SECONDS = 300

/**
 * Verifies a delivery and returns its body parsed as JSON (or the text itself when it is not JSON,
 * as with `payload.format: "text"`). Throws WebhookVerificationError when it must not be trusted.
 * `secret` may be a list, for a receiver that is itself moving to a new secret.
 */
export function verifyWebhook<T = unknown>(
  rawBody: RawBody,
  headers: WebhookHeaders,
  secret: WebhookSecret | readonly WebhookSecret[],
  options: VerifyWebhookOptions = {},
): T {
  const body = bodyBytes(rawBody)
  const keys = (Array.isArray(secret) ? (secret as readonly WebhookSecret[]) : [secret as WebhookSecret]).map(secretKey)
  if (keys.length === 0) throw new TypeError('webhook secret is required')
  const { id, timestamp, signatures } = signatureHeaders(headers)

  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('invalid_timestamp', 'The webhook timestamp is not a number of seconds.')
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  const nowSeconds = Math.floor(Number(options.now ?? Date.now()) / 1000)
  const sent = Number(timestamp)
  if (nowSeconds - sent > tolerance) throw new WebhookVerificationError('timestamp_too_old', 'The webhook timestamp is too old.')
  if (sent - nowSeconds > tolerance) throw new WebhookVerificationError('timestamp_too_new', 'The webhook timestamp is too far in the future.')

  const content = signedContent(id, timestamp, body)
  const expected = keys.map((key) => hmacSha256(key, content))
  // Every candidate is compared with every expected MAC, without an early exit.
  let matched = false
  for (const candidate of signatures.split(' ')) {
    const comma = candidate.indexOf(',')
    if (comma < 0 || candidate.slice(0, comma) !== 'v1') continue
    const received = base64Decode(candidate.slice(comma + 1), true)
    if (received === null) continue
    for (const mac of expected) if (constantTimeEqual(received, mac)) matched = true
  }
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'No webhook signature matches the secret.')
  return parseBody(body) as T
}

/** The `webhook-signature` value for a body (`v1,<base64>`): for tests of receivers, and to check a setup by hand. */
export function signWebhook(secret: WebhookSecret, message: { id: string; timestamp: number | Date; body: RawBody }): string {
  const seconds = message.timestamp instanceof Date ? Math.floor(message.timestamp.getTime() / 1000) : message.timestamp
  return `v1,${base64Encode(hmacSha256(secretKey(secret), signedContent(message.id, String(seconds), bodyBytes(message.body))))}`
}

function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`)
  const content = new Uint8Array(prefix.length + body.length)
  content.set(prefix)
  content.set(body, prefix.length)
  return content
}

function bodyBytes(rawBody: RawBody): Uint8Array {
  if (typeof rawBody === 'string') return new TextEncoder().encode(rawBody)
  if (rawBody instanceof Uint8Array) return rawBody
  if (rawBody instanceof ArrayBuffer) return new Uint8Array(rawBody)
  // The classic bug: JSON.stringify(req.body) is rarely the bytes that were signed.
  throw new TypeError('verifyWebhook needs the raw body as received (a string or bytes), not a parsed object')
}

/** The webhook-* headers, or else the svix-* ones; never a mix of the two. */
function signatureHeaders(headers: WebhookHeaders): { id: string; timestamp: string; signatures: string } {
  for (const prefix of ['webhook', 'svix']) {
    const id = readHeader(headers, `${prefix}-id`)
    if (id === undefined) continue
    const timestamp = readHeader(headers, `${prefix}-timestamp`)
    const signatures = readHeader(headers, `${prefix}-signature`)
    if (timestamp === undefined || signatures === undefined) break
    return { id, timestamp, signatures }
  }
  throw new WebhookVerificationError('missing_headers', 'The webhook-id, webhook-timestamp and webhook-signature headers are required.')
}

function readHeader(headers: WebhookHeaders, name: string): string | undefined {
  let value: string | string[] | null | undefined
  if (typeof headers.get === 'function') {
    value = (headers as { get(name: string): string | null | undefined }).get(name)
  } else {
    const record = headers as Record<string, string | string[] | undefined>
    const key = Object.keys(record).find((k) => k.toLowerCase() === name)
    value = key === undefined ? undefined : record[key]
  }
  // A repeated header (Node gives an array) is read as one list, as Fetch's Headers joins it.
  const text = Array.isArray(value) ? value.join(' ') : value
  return text === null || text === undefined || text.trim() === '' ? undefined : text.trim()
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function parseBody(body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body)
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
