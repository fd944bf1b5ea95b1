import { createHash } from 'node:crypto'

/**
 * Idempotency keys of received webhooks as they are kept (in memory and in the database): the key
 * read from the request, or, when it could not be stored as it is, a fixed-length digest of it.
 * Done here, before either store sees the key, so both dialects and the in-memory map agree on it
 * and a repeat of the same key always maps to the same stored key.
 */

/**
 * Longest key kept as it is, in UTF-16 code units. At most 768 bytes of UTF-8: far below the
 * 2,704 bytes a PostgreSQL B-tree entry may hold, and longer than any provider's event id (Stripe,
 * Svix and Slack ids are about 30 characters, GitHub's delivery id is a UUID).
 */
export const MAX_KEY_CHARS = 256

/** The window of a source's idempotency when it names none (API.md), in seconds. */
export const DEFAULT_IDEMPOTENCY_WINDOW_SECONDS = 86400

const DIGEST_PREFIX = 'sha256:'

/**
 * Characters some dialect cannot keep exactly: U+0000, which PostgreSQL text refuses, and UTF-16
 * surrogates without their pair, which both drivers write as U+FFFD (so two different keys would
 * meet in the database while staying apart in memory).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * The key to store for `key`: `key` itself when it is at most MAX_KEY_CHARS long and holds only
 * characters every dialect keeps; otherwise `sha256:` and the base64url SHA-256 of it (50
 * characters). The digest is over the key's UTF-16 code units, which represent any JS string
 * exactly; and a key that itself starts with `sha256:` is digested too, so a key sent as text can
 * never pose as the digest of another.
 */
export function storableKey(key: string): string {
  if (key.length <= MAX_KEY_CHARS && !key.startsWith(DIGEST_PREFIX) && !key.includes('\u0000') && !LONE_SURROGATE.test(key)) return key
  return DIGEST_PREFIX + createHash('sha256').update(key, 'utf16le').digest('base64url')
}
