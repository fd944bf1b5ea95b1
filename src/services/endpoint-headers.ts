import { isCredentialName } from '../core/credential-name.js'
import type { HeaderValue, SealedCredential } from '../core/model.js'
import { maskHeaderValue } from '../core/shaping/mask-header.js'
import type { CredentialBox } from './endpoint-auth.js'

/** Custom headers as stored (credential values sealed) and as requests use them (in the clear). */
export interface ResolvedHeaders {
  stored: Record<string, HeaderValue>
  plain: Record<string, string>
}

/**
 * Turns submitted headers into what is stored and what requests use. A header whose name reads as a
 * credential (isCredentialName: Authorization, Cookie, X-Api-Key, X-Auth-Token...; API.md,
 * Endpoints) has its value sealed with its masked hint, as `auth` is; the others stay as given.
 * Headers are replaced as a whole, so on an update a credential header sent back as the hint the API
 * showed keeps its stored value (its name compared without case): reading an endpoint and writing
 * it back does not wipe its credentials. A value stored in the clear (saved before headers were
 * sealed) counts the same, and is sealed now.
 */
export function resolveHeaders(input: Record<string, string>, current: Record<string, HeaderValue> | null, box: CredentialBox): ResolvedHeaders {
  const before = new Map<string, HeaderValue>()
  for (const [name, value] of Object.entries(current ?? {})) before.set(name.toLowerCase(), value)
  const stored: Record<string, HeaderValue> = {}
  const plain: Record<string, string> = {}
  for (const [name, given] of Object.entries(input)) {
    plain[name] = given
    if (!isCredentialName(name)) {
      stored[name] = given
      continue
    }
    const kept = before.get(name.toLowerCase())
    if (kept !== undefined && given === hintOf(name, kept)) {
      const value = typeof kept === 'string' ? kept : box.open(kept.sealed)
      plain[name] = value
      stored[name] = typeof kept === 'string' ? seal(name, kept, box) : kept
    } else {
      stored[name] = seal(name, given, box)
    }
  }
  return { stored, plain }
}

/** Headers as the API shows them: credential-named values replaced by their hints, the others as stored. */
export function presentHeaders(headers: Record<string, HeaderValue>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = isCredentialName(name) || typeof value !== 'string' ? hintOf(name, value) : value
  return out
}

/** Headers with their values in the clear, as requests need them. */
export function openHeaders(headers: Record<string, HeaderValue>, box: Pick<CredentialBox, 'open'>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = typeof value === 'string' ? value : box.open(value.sealed)
  return out
}

function seal(name: string, plain: string, box: CredentialBox): SealedCredential {
  return { sealed: box.seal(plain), hint: maskHeaderValue(name, plain) }
}

/** The hint of a sealed value; a credential value still in the clear is masked when shown, the same way. */
const hintOf = (name: string, value: HeaderValue): string => (typeof value === 'string' ? maskHeaderValue(name, value) : value.hint)
