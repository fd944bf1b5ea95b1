/**
 * Headers as a source's log keeps them: names lowercased, repeated values joined, and the values
 * of headers that carry credentials or signatures replaced, so the log can be shown to anyone who
 * may read the source.
 */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'webhook-signature',
  'svix-signature',
  'stripe-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-shopify-hmac-sha256',
  'x-slack-signature',
  'x-hookrelay-signature',
  'x-knock-signature',
])

export const REDACTED = '[redacted]'

export function redactHeaders(headers: Record<string, string | string[] | undefined>, alsoSecret: string | null): Record<string, string> {
  const extra = alsoSecret?.toLowerCase()
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const lower = name.toLowerCase()
    out[lower] = SECRET_HEADERS.has(lower) || lower === extra ? REDACTED : Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
