import { api, ApiError, setToken } from './client'
import type { Capability, Theme, Whoami } from './types'

/**
 * Who is signed in. The dashboard keeps its token in sessionStorage (gone with the tab, never in
 * localStorage or a cookie); the portal takes its token from the URL fragment (#token=..., which
 * no browser sends to a server), keeps it in sessionStorage for reloads, and wipes the fragment
 * from the address bar and history.
 */
export type Face = 'dashboard' | 'portal'

export interface Session {
  face: Face
  kind: Whoami['kind']
  tenantId: string | null
  capabilities: Capability[]
  theme: Theme | null
  expiresAt: string | null
}

const KEY: Record<Face, string> = { dashboard: 'hookrelay.token', portal: 'hookrelay.portal.token' }

function storage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    // A third-party frame may be denied storage: the token then lives only in memory.
    return null
  }
}

export function faceOf(pathname: string): Face {
  return pathname === '/portal' || pathname.startsWith('/portal/') ? 'portal' : 'dashboard'
}

export function storedToken(face: Face): string | null {
  if (face === 'portal') {
    const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash)
    if (m) {
      const t = decodeURIComponent(m[1]!)
      storage()?.setItem(KEY.portal, t)
      history.replaceState(history.state, '', window.location.pathname + window.location.search)
      return t
    }
  }
  return storage()?.getItem(KEY[face]) ?? null
}

export function forget(face: Face): void {
  storage()?.removeItem(KEY[face])
  setToken(null)
}

/** Asks the server whose token this is. Null when the token is refused (401). */
export async function resolveSession(face: Face, token: string): Promise<Session | null> {
  setToken(token)
  let who: Whoami
  try {
    who = await api<Whoami>('GET', '/v1/whoami', undefined, { quiet401: true })
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setToken(null)
      return null
    }
    throw err
  }
  if (face === 'dashboard') storage()?.setItem(KEY.dashboard, token)
  return {
    face,
    kind: who.kind,
    tenantId: who.tenantId,
    capabilities: who.capabilities,
    theme: who.theme ?? null,
    expiresAt: who.expiresAt ?? null,
  }
}

export const can = (s: Session, c: Capability): boolean => s.kind !== 'portal' || s.capabilities.includes(c)
