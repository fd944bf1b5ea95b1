/**
 * Text as PostgreSQL can keep it: U+0000 replaced by U+FFFD. PostgreSQL text cannot hold U+0000 at
 * all (SQLite can, and keeps it), and one such value fails the whole statement it is in, which on
 * the hot paths is a batch: a group of settlements, a batch of request log rows.
 *
 * It is for what records something that already happened, which a user reads to debug it:
 * - the request log: a received event type such as "a\u0000b" is accepted on every store and its
 *   mappings run (refusing the webhook would turn away a provider's event for a character in a name
 *   we only route on, and make the stores disagree), and its row must not be lost;
 * - attempts: a receiver may answer with binary bytes, and a rendered body or an error message may
 *   carry what a payload held.
 * So the PostgreSQL row shows U+FFFD where the U+0000 was. JSON text (headers, actions) escapes
 * U+0000 already, and bodies kept as bytes (bytea) are exact. What a client names (tenants,
 * endpoints, sources, idempotency keys) is refused with a 422 instead, on every store.
 */
export function pgText<T extends string | null>(text: T): T {
  return (text !== null && text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text) as T
}
