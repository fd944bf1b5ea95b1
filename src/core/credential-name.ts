/** Parts that make a name a credential's wherever they appear in it, compared without case or separators. */
const CREDENTIAL_PARTS = ['token', 'secret', 'passw', 'signature', 'apikey', 'accesskey', 'privatekey', 'credential', 'auth', 'session', 'jwt', 'bearer', 'cookie', 'hmac']
/** Names that are a credential's on their own, or at the end of a longer name (api_key, x-hub-sig). */
const CREDENTIAL_ENDINGS = ['key', 'sig', 'pwd', 'pass']
/** Names the rules above would take that carry no credential, and that debugging needs to see. */
const NOT_CREDENTIALS = new Set(['idempotencykey'])

/**
 * Whether a name (a header's, or a query parameter's once decoded) looks like it carries a
 * credential: token, x-api-token, access_token, key, api_key, secret, client_secret, signature,
 * sig, password, pwd, auth, Authorization, Cookie, session_id, X-Shopify-Hmac-Sha256 and the like,
 * in any case and with any separators. Erring towards redaction: hiding a harmless value costs
 * less than showing a secret. The one rule for every log and event that redacts.
 */
export function isCredentialName(name: string): boolean {
  // Every logged request asks this of each of its headers, and the same few names come back all
  // the time: remembered, the answer costs a lookup instead of about 0.3 us of string work.
  let known = seen.get(name)
  if (known === undefined) {
    if (seen.size >= SEEN_MAX) seen.clear()
    known = judge(name)
    seen.set(name, known)
  }
  return known
}

/** Names judged so far; cleared when full, so odd names sent by a client cannot grow it. */
const seen = new Map<string, boolean>()
const SEEN_MAX = 1000

function judge(name: string): boolean {
  const bare = name.toLowerCase().replace(/[^a-z0-9]/g, '')
  if (NOT_CREDENTIALS.has(bare)) return false
  return CREDENTIAL_PARTS.some((p) => bare.includes(p)) || CREDENTIAL_ENDINGS.some((e) => bare.endsWith(e))
}
