import { isCredentialName } from '../credential-name.js'

/** The hint the API shows for a credential: its last four characters when it is long enough to spare them. */
export const maskSecret = (s: string): string => (s.length >= 12 ? `****${s.slice(-4)}` : '****')

/** RFC 9110 §11.6.2: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]; the scheme is a token. */
const SCHEME = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S.*)$/s

/**
 * A credential-named header's value as the API and the attempt log show it, in the style of `auth`:
 * an Authorization value keeps its scheme (`Bearer ****cdef`, and `Basic ****` whole, as the last
 * characters of its base64 would decode to the password's); webhook-signature keeps each
 * signature's version (`v1,****abc=`, one per signing secret, so a rotation still shows two); any
 * other value is maskSecret's. A masked signature can be matched by eye, not replayed.
 */
export function maskHeaderValue(name: string, value: string): string {
  const lower = name.toLowerCase()
  if (lower === 'authorization') {
    const m = SCHEME.exec(value)
    if (m) return m[1]!.toLowerCase() === 'basic' ? `${m[1]} ****` : `${m[1]} ${maskSecret(m[2]!)}`
  }
  if (lower === 'webhook-signature') {
    return value
      .split(' ')
      .map((s) => {
        const comma = s.indexOf(',')
        return comma < 0 ? maskSecret(s) : s.slice(0, comma + 1) + maskSecret(s.slice(comma + 1))
      })
      .join(' ')
  }
  return maskSecret(value)
}

/**
 * What maskHeaderValue gives: `****` and at most four characters, after an auth scheme, or one such
 * per signature. A value of this shape shows four characters at most, so it is shown as it is.
 */
const MASKED = /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+ )?\*{4}.{0,4}$|^[^ ,]*,\*{4}[^ ]{0,4}(?: [^ ,]*,\*{4}[^ ]{0,4})*$/s

/**
 * Request headers as an attempt log shows them: the value of every header whose name reads as a
 * credential masked, those masked already left as they are. Run when a request is logged, and again
 * when a log is read, so attempts recorded before credential headers were masked do not show them.
 */
export function maskCredentialHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = isCredentialName(name) && !MASKED.test(value) ? maskHeaderValue(name, value) : value
  return out
}
