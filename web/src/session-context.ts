import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { useRoute } from 'preact-iso'
import type { Session } from './api/session'

export interface AppContext {
  session: Session
  signOut: () => void
}

export const SessionContext = createContext<AppContext | null>(null)

export function useSession(): AppContext {
  const ctx = useContext(SessionContext)
  if (ctx === null) throw new Error('useSession outside a signed-in app')
  return ctx
}

/** The tenant a screen shows: the portal's own, or the one in a dashboard URL (/ui/t/{tenantId}/...). */
export function useTenantId(): string {
  const { session } = useSession()
  const { params } = useRoute()
  return session.face === 'portal' ? session.tenantId! : (params.tenantId ?? session.tenantId ?? '')
}

/** Where a tenant's screens live: /portal/... in the portal, /ui/t/{tenantId}/... in the dashboard. */
export function tenantBase(session: Session, tenantId: string): string {
  return session.face === 'portal' ? '/portal' : `/ui/t/${encodeURIComponent(tenantId)}`
}

export function useBase(): string {
  const { session } = useSession()
  return tenantBase(session, useTenantId())
}

/** The API path of a tenant's resources: /v1/tenants/{tenantId}. */
export function useTenantApi(): string {
  return `/v1/tenants/${encodeURIComponent(useTenantId())}`
}
