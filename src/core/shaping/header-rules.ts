/**
 * Which custom header names an endpoint may set. Refused: names that would break the message
 * framing or the connection (RFC 9110 §7.6.1 connection options, RFC 9112 §6 framing), and our own
 * `webhook-*` headers, which a custom value could use to forge a signature.
 */
const FORBIDDEN = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-connection',
])
const FORBIDDEN_PREFIXES = ['webhook-', 'proxy-']

/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** RFC 9110 §5.5: anything but visible characters, spaces, tabs and obs-text (0x80-0xFF). */
const NOT_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/

/** Whether `name` can be a header name: the rule endpoints are held to, and the sender and its response parser too. */
export const isFieldName = (name: string): boolean => TOKEN.test(name)

/** Whether `value` can be sent or read as a header value (CR, LF and NUL included in what cannot). */
export const isFieldValue = (value: string): boolean => !NOT_FIELD_VALUE.test(value)

/** Why a header name may not be set, or null when it may. */
export function headerNameProblem(name: string): string | null {
  if (!isFieldName(name)) return 'is not a valid header name'
  const lower = name.toLowerCase()
  if (FORBIDDEN.has(lower)) return `${lower} is set by Hookrelay and may not be overridden`
  const prefix = FORBIDDEN_PREFIXES.find((p) => lower.startsWith(p))
  if (prefix) return `${prefix}* headers are reserved`
  return null
}

/**
 * RFC 9110 §5.5: a field value is visible characters, spaces and tabs, plus obs-text (0x80-0xFF,
 * sent as Latin-1). CR, LF or NUL would split or end the header; other controls and characters
 * beyond Latin-1 cannot be sent at all (Node refuses them), so they are refused when saved.
 */
export function headerValueProblem(value: string): string | null {
  if (/[\r\n\0]/.test(value)) return 'must not contain CR, LF or NUL'
  if (!isFieldValue(value)) return 'must contain only printable ASCII or Latin-1 characters'
  return null
}
