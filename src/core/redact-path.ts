import { decodeFormComponent } from './decode-form-component.js'
import { REDACTED } from './redact-headers.js'

/**
 * A request path as a source's log keeps it: the values of query parameters whose names look like
 * credentials replaced, as the values of such headers are (redact-headers.ts). Some services can
 * only authenticate a webhook by a secret in its URL (`/in/src_...?token=...`), and the log may be
 * shown to anyone who may read the source. Everything else is kept byte for byte.
 */
export function redactPath(path: string): string {
  const q = path.indexOf('?')
  if (q < 0) return path
  const params = path
    .slice(q + 1)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=')
      return eq >= 0 && isCredentialName(param.slice(0, eq)) ? `${param.slice(0, eq)}=${REDACTED}` : param
    })
  return `${path.slice(0, q + 1)}${params.join('&')}`
}

/** Parts that make a name a credential's wherever they appear in it, compared without case or separators. */
const CREDENTIAL_PARTS = ['token', 'secret', 'passw', 'signature', 'apikey', 'accesskey', 'privatekey', 'credential', 'auth', 'session', 'jwt', 'bearer']
/** Names that are a credential's on their own, or at the end of a longer name (api_key, x-hub-sig). */
const CREDENTIAL_ENDINGS = ['key', 'sig', 'pwd', 'pass', 'hmac']

/**
 * Whether a query parameter's name (still percent-encoded as received) looks like it carries a
 * credential: token, access_token, key, api_key, secret, client_secret, signature, sig, password,
 * pwd, auth, Authorization, session_id and the like, in any case and with any separators. Erring
 * towards redaction: hiding a harmless value costs less than showing a secret.
 */
export function isCredentialName(encoded: string): boolean {
  let name = encoded
  try {
    name = decodeFormComponent(encoded)
  } catch {
    // Malformed escapes: judge the name as it came.
  }
  const bare = name.toLowerCase().replace(/[^a-z0-9]/g, '')
  return CREDENTIAL_PARTS.some((p) => bare.includes(p)) || CREDENTIAL_ENDINGS.some((e) => bare.endsWith(e))
}
