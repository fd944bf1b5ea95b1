import { isCredentialName } from './credential-name.js'
import { decodeFormComponent } from './decode-form-component.js'
import { REDACTED } from './redact-headers.js'

/**
 * A request path as a source's log keeps it: the values of query parameters whose names look like
 * credentials replaced, as the values of such headers are (both by credential-name.ts). Some services can
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
      return eq >= 0 && isCredentialName(decodedName(param.slice(0, eq))) ? `${param.slice(0, eq)}=${REDACTED}` : param
    })
  return `${path.slice(0, q + 1)}${params.join('&')}`
}

/** A query parameter's name as received, decoded; a malformed escape leaves it as it came. */
function decodedName(encoded: string): string {
  try {
    return decodeFormComponent(encoded)
  } catch {
    return encoded
  }
}
