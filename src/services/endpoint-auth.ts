import type { EndpointAuth, SealedCredential } from '../core/model.js'
import { maskSecret } from '../core/shaping/mask-header.js'
import type { FieldError } from '../errors.js'

/** Auth as the API accepts it: the type's fields, credentials in the clear. */
export interface AuthInput {
  type: 'none' | 'bearer' | 'basic' | 'header'
  token?: string
  username?: string
  password?: string
  name?: string
  value?: string
}

export interface CredentialBox {
  seal(plain: string): string
  open(sealed: string): string
}

export type ResolvedAuth = { ok: true; auth: EndpointAuth; plain: EndpointAuth<string> } | { ok: false; errors: FieldError[] }

/**
 * Turns submitted auth into what is stored (credentials sealed, with their masked hints) and what
 * requests use (in the clear). On an update, a credential left out, or sent back as the hint the API
 * showed, keeps its stored value, so reading an endpoint and writing it back does not wipe its auth.
 */
export function resolveAuth(input: AuthInput, current: EndpointAuth | null, box: CredentialBox): ResolvedAuth {
  const errors: FieldError[] = []
  const same = current !== null && current.type === input.type ? current : null
  const stored = (field: string): unknown => (same === null ? undefined : (same as Record<string, unknown>)[field])
  const credential = (field: 'token' | 'password' | 'value'): { sealed: SealedCredential; plain: string } | null => {
    const given = input[field]
    const kept = stored(field) as SealedCredential | undefined
    if (kept !== undefined && (given === undefined || given === kept.hint)) return { sealed: kept, plain: box.open(kept.sealed) }
    if (given === undefined || given === '') {
      errors.push({ path: `/auth/${field}`, message: `is required for ${input.type} auth` })
      return null
    }
    return { sealed: { sealed: box.seal(given), hint: maskSecret(given) }, plain: given }
  }
  const text = (field: 'username' | 'name'): string => {
    const given = input[field] ?? (stored(field) as string | undefined)
    if (given === undefined || given === '') errors.push({ path: `/auth/${field}`, message: `is required for ${input.type} auth` })
    return given ?? ''
  }
  const allowed: readonly string[] = { none: [], bearer: ['token'], basic: ['username', 'password'], header: ['name', 'value'] }[input.type]
  for (const f of ['token', 'username', 'password', 'name', 'value'] as const) {
    if (input[f] !== undefined && !allowed.includes(f)) errors.push({ path: `/auth/${f}`, message: `is not a field of ${input.type} auth` })
  }
  let result: ResolvedAuth | null = null
  switch (input.type) {
    case 'none':
      result = { ok: true, auth: { type: 'none' }, plain: { type: 'none' } }
      break
    case 'bearer': {
      const token = credential('token')
      if (token) result = { ok: true, auth: { type: 'bearer', token: token.sealed }, plain: { type: 'bearer', token: token.plain } }
      break
    }
    case 'basic': {
      const username = text('username')
      const password = credential('password')
      if (username.includes(':')) errors.push({ path: '/auth/username', message: 'must not contain ":" (RFC 7617)' })
      if (password) result = { ok: true, auth: { type: 'basic', username, password: password.sealed }, plain: { type: 'basic', username, password: password.plain } }
      break
    }
    case 'header': {
      const name = text('name')
      const value = credential('value')
      if (value) result = { ok: true, auth: { type: 'header', name, value: value.sealed }, plain: { type: 'header', name, value: value.plain } }
      break
    }
  }
  return errors.length > 0 || result === null ? { ok: false, errors } : result
}

/** Auth as the API shows it: every field, credentials replaced by their hints. */
export function presentAuth(auth: EndpointAuth): AuthInput {
  switch (auth.type) {
    case 'none':
      return { type: 'none' }
    case 'bearer':
      return { type: 'bearer', token: auth.token.hint }
    case 'basic':
      return { type: 'basic', username: auth.username, password: auth.password.hint }
    case 'header':
      return { type: 'header', name: auth.name, value: auth.value.hint }
  }
}
