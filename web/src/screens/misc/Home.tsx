import { useEffect } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { tenantBase, useSession } from '../../session-context'

/** /ui/ and /portal: the admin starts at the tenants, a tenant at its endpoints. */
export function Home() {
  const { session } = useSession()
  const { route } = useLocation()
  useEffect(() => {
    route(session.kind === 'admin' ? '/ui/tenants' : `${tenantBase(session, session.tenantId ?? '')}/endpoints`, true)
  }, [])
  return null
}
