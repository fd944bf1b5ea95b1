import { isCredentialName } from './credential-name.js'

export const REDACTED = '[redacted]'

/**
 * Headers as a source's log and the gateway's events keep them: names lowercased, repeated values
 * joined, and the values of headers whose names are a credential's (credential-name.ts: Cookie,
 * Authorization, X-Api-Token, the providers' signature headers...) replaced, so they can be shown
 * to anyone who may read the source or the events. `alsoSecret` is a source's own signature header.
 */
export function redactHeaders(headers: Record<string, string | string[] | undefined>, alsoSecret: string | null): Record<string, string> {
  const extra = alsoSecret?.toLowerCase()
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    const lower = name.toLowerCase()
    out[lower] = isCredentialName(lower) || lower === extra ? REDACTED : Array.isArray(value) ? value.join(', ') : value
  }
  return out
}
