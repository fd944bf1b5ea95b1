import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * What every inbound signature verifier shares: its input, its result, and the few helpers that
 * keep the schemes honest (header lookup, constant-time comparison, timestamp freshness). Pure:
 * the clock comes in as `nowMs`, so a verifier's answer depends only on its arguments.
 */

export type { VerificationType } from '../../core/model.js'

export interface VerifyInput {
  /** The request body exactly as received: verification runs before any parsing. */
  rawBody: Buffer
  /** Header names lowercased, as Node gives them. */
  headers: Record<string, string | string[] | undefined>
  /** Active secrets: the current one first, then each rotated-out one while its 24-hour rotation overlap lasts. Any may match. */
  secrets: readonly string[]
  /** Epoch ms. */
  nowMs: number
  /** Allowed clock difference either way for schemes that sign a timestamp, in seconds. Default 300 (callers pass it). */
  toleranceSeconds: number
  /** hmac only. Defaults: header 'X-Hookrelay-Signature', encoding 'hex', prefix '' (none). */
  header?: string
  encoding?: 'hex' | 'base64'
  prefix?: string
}

/** Expected failures are data: `reason` is a short, log-safe sentence (never includes a secret or the expected signature). */
export type VerifyResult = { ok: true } | { ok: false; reason: string }

export type Verifier = (input: VerifyInput) => VerifyResult

export const OK: VerifyResult = Object.freeze({ ok: true })

export function fail(reason: string): VerifyResult {
  return { ok: false, reason }
}

/**
 * Longest signature header we read, in characters. Node refuses requests whose headers together
 * pass 16 KiB (`--max-http-header-size` default), so anything longer came from a caller with a
 * raised limit and is garbage, not a signature list worth splitting.
 */
export const MAX_HEADER_CHARS = 16_384

/**
 * The first value of a header, or undefined when it is absent or blank. `name` may be in any case:
 * Node lowercases incoming names (RFC 9110 section 5.1: field names are case-insensitive). Arrays
 * only come from callers that keep duplicates apart; the first one wins, as with Node's own
 * single-value headers.
 */
export function headerValue(headers: VerifyInput['headers'], name: string): string | undefined {
  const key = name.toLowerCase()
  // Own properties only: a configured header named `constructor` must not read Object.prototype's.
  const raw = Object.hasOwn(headers, key) ? headers[key] : undefined
  const value = Array.isArray(raw) ? raw[0] : raw
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

/**
 * Reads a signature-bearing header, or explains why it cannot be used. `label` is how the reason
 * names the header (the provider's own spelling, e.g. `Stripe-Signature`).
 */
export function requireHeader(
  headers: VerifyInput['headers'],
  name: string,
  label: string = name,
): { value: string } | { failure: VerifyResult } {
  const value = headerValue(headers, name)
  if (value === undefined) return { failure: fail(`missing ${label} header`) }
  if (value.length > MAX_HEADER_CHARS) return { failure: fail(`${label} header is too long`) }
  return { value }
}

/**
 * Constant-time equality of two strings (compared as UTF-8) or buffers. A length mismatch is false
 * rather than the exception `timingSafeEqual` throws; the length of a signature is no secret.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b
  return x.length === y.length && timingSafeEqual(x, y)
}

/** HMAC-SHA256 keyed by the secret's UTF-8 bytes over the parts in order (RFC 2104). */
export function hmacSha256(secret: string, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'))
  for (const part of parts) mac.update(part)
  return mac.digest()
}

/**
 * The secrets worth trying. An empty secret is dropped: an HMAC under an empty key is one anybody
 * can compute, so it must never authenticate a request.
 */
export function usableSecrets(secrets: readonly string[]): string[] {
  return secrets.filter((s) => typeof s === 'string' && s.length > 0)
}

/** A SHA-256 digest as lowercase or uppercase hex: 64 characters. */
export const HEX_SHA256 = /^[0-9a-fA-F]{64}$/

/** A SHA-256 digest as canonical, padded base64 (RFC 4648 section 4): 43 characters and `=`. */
export const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/

/**
 * True when one of `candidates` equals the signature `sign` makes with one of `secrets`. Each
 * comparison is constant-time; stopping at the first match only reveals that something matched,
 * which the response says anyway.
 */
export function anySecretMatches(
  secrets: readonly string[],
  sign: (secret: string) => string,
  candidates: readonly string[],
): boolean {
  for (const secret of secrets) {
    const expected = sign(secret)
    for (const candidate of candidates) if (safeEqual(candidate, expected)) return true
  }
  return false
}

/** Unix seconds as signed by Stripe, Slack and Standard Webhooks: ASCII digits only. */
const UNIX_SECONDS = /^\d{1,15}$/

/**
 * Why a signed timestamp is unacceptable, or undefined when it is fresh: at most
 * `toleranceSeconds` away from `nowMs` in either direction. Old ones are replays; ones from the
 * future would stay replayable for longer than the tolerance. A tolerance that is not a finite,
 * non-negative number fails closed rather than letting every timestamp through.
 */
export function timestampProblem(
  raw: string,
  nowMs: number,
  toleranceSeconds: number,
  label: string,
): string | undefined {
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) return 'timestamp tolerance is not configured correctly'
  if (!Number.isFinite(nowMs)) return 'the current time is unknown'
  if (!UNIX_SECONDS.test(raw)) return `${label} is not a Unix timestamp`
  const age = Math.floor(nowMs / 1000) - Number(raw)
  if (age > toleranceSeconds) return `${label} is ${age} s old, more than the ${toleranceSeconds} s allowed`
  if (-age > toleranceSeconds) return `${label} is ${-age} s in the future, more than the ${toleranceSeconds} s allowed`
  return undefined
}
