import { useEffect, useState } from 'preact/hooks'
import { ErrorBoundary, lazy, LocationProvider, Route, Router } from 'preact-iso'
import { ApiError, handleUnauthorized } from './api/client'
import { faceOf, forget, resolveSession, storedToken, type Face, type Session } from './api/session'
import { Layout } from './components/Layout'
import { SessionContext } from './session-context'
import { applyMode, applyTheme, savedMode } from './theme'
import { Home } from './screens/misc/Home'
import { NotFound } from './screens/misc/NotFound'
import { SessionEnded } from './screens/misc/SessionEnded'
import { SignIn } from './screens/signin/SignIn'
import { EndpointsList } from './screens/endpoints/EndpointsList'
import { EndpointDetail } from './screens/endpoints/EndpointDetail'
import { EndpointForm } from './screens/endpoints/EndpointForm'
import { DeliveriesList } from './screens/deliveries/DeliveriesList'
import { DeliveryDetail } from './screens/deliveries/DeliveryDetail'
import { EventsList } from './screens/events/EventsList'
import { EventDetail } from './screens/events/EventDetail'
import { EventTypes } from './screens/event-types/EventTypes'

// The screens only the admin's dashboard has load on demand: the portal never fetches them.
const Tenants = lazy(() => import('./screens/tenants/Tenants').then((m) => m.Tenants))
const TenantSettings = lazy(() => import('./screens/tenants/TenantSettings').then((m) => m.TenantSettings))
const ApiKeys = lazy(() => import('./screens/api-keys/ApiKeys').then((m) => m.ApiKeys))
const PortalLinks = lazy(() => import('./screens/portal-links/PortalLinks').then((m) => m.PortalLinks))
const Sources = lazy(() => import('./screens/sources/Sources').then((m) => m.Sources))
const SourceDetail = lazy(() => import('./screens/sources/SourceDetail').then((m) => m.SourceDetail))
const GatewayRoutes = lazy(() => import('./screens/routes/GatewayRoutes').then((m) => m.GatewayRoutes))
const OperatorEvents = lazy(() => import('./screens/operator/OperatorEvents').then((m) => m.OperatorEvents))

type State = { phase: 'loading' } | { phase: 'signin'; note?: string } | { phase: 'ended'; why: 'revoked' | 'missing' } | { phase: 'ready'; session: Session }

/** The tenant's screens, under /portal or /ui/t/{tenantId}. */
function tenantRoutes(base: string) {
  return [
    <Route key="el" path={`${base}/endpoints`} component={EndpointsList} />,
    <Route key="en" path={`${base}/endpoints/new`} component={EndpointForm} />,
    <Route key="ed" path={`${base}/endpoints/:endpointId`} component={EndpointDetail} />,
    <Route key="ee" path={`${base}/endpoints/:endpointId/edit`} component={EndpointForm} />,
    <Route key="dl" path={`${base}/deliveries`} component={DeliveriesList} />,
    <Route key="dd" path={`${base}/deliveries/:deliveryId`} component={DeliveryDetail} />,
    <Route key="vl" path={`${base}/events`} component={EventsList} />,
    <Route key="vd" path={`${base}/events/:eventId`} component={EventDetail} />,
  ]
}

export function App() {
  const face: Face = faceOf(window.location.pathname)
  const [state, setState] = useState<State>({ phase: 'loading' })

  useEffect(() => {
    applyMode(savedMode(), false)
    const token = storedToken(face)
    if (token === null) {
      setState(face === 'portal' ? { phase: 'ended', why: 'missing' } : { phase: 'signin' })
      return
    }
    resolveSession(face, token).then(
      (s) => {
        if (s === null) {
          forget(face)
          setState(face === 'portal' ? { phase: 'ended', why: 'revoked' } : { phase: 'signin', note: 'Your token was not accepted. Sign in again.' })
        } else setState({ phase: 'ready', session: s })
      },
      (e: unknown) => setState({ phase: 'signin', note: e instanceof ApiError ? e.detail : String(e) }),
    )
  }, [face])

  useEffect(() => {
    if (state.phase !== 'ready') return
    const s = state.session
    if (s.face === 'portal') {
      applyTheme(s.theme)
      applyMode(savedMode(s.theme?.mode ?? 'auto'), false)
    }
    // Any 401 from now on: the token was revoked, expired or rotated away.
    handleUnauthorized(() => {
      forget(face)
      setState(face === 'portal' ? { phase: 'ended', why: 'revoked' } : { phase: 'signin', note: 'Your session ended. Sign in again.' })
    })
    // A portal session ends at its expiry whether or not the page asks anything then.
    if (s.face === 'portal' && s.expiresAt) {
      const ms = new Date(s.expiresAt).getTime() - Date.now()
      const t = setTimeout(() => setState({ phase: 'ended', why: 'revoked' }), Math.max(0, Math.min(ms, 2 ** 31 - 1)))
      return () => clearTimeout(t)
    }
    return undefined
  }, [state])

  if (state.phase === 'loading') return <p class="boot muted">Loading…</p>
  if (state.phase === 'ended') return <SessionEnded why={state.why} />
  if (state.phase === 'signin') return <SignIn note={state.note} onSignedIn={(session) => setState({ phase: 'ready', session })} />

  const session = state.session
  const signOut = () => {
    forget(face)
    setState({ phase: 'signin' })
  }
  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <LocationProvider>
        <ErrorBoundary>
          <Layout>
            {face === 'portal' ? (
              <Router>
                <Route path="/portal" component={Home} />
                {tenantRoutes('/portal')}
                <Route path="/portal/event-types" component={EventTypes} />
                <Route default component={NotFound} />
              </Router>
            ) : (
              <Router>
                <Route path="/ui/" component={Home} />
                <Route path="/ui/tenants" component={Tenants} />
                <Route path="/ui/event-types" component={EventTypes} />
                <Route path="/ui/operator" component={OperatorEvents} />
                {tenantRoutes('/ui/t/:tenantId')}
                <Route path="/ui/t/:tenantId/sources" component={Sources} />
                <Route path="/ui/t/:tenantId/sources/:sourceId" component={SourceDetail} />
                <Route path="/ui/t/:tenantId/routes" component={GatewayRoutes} />
                <Route path="/ui/t/:tenantId/api-keys" component={ApiKeys} />
                <Route path="/ui/t/:tenantId/portal-links" component={PortalLinks} />
                <Route path="/ui/t/:tenantId/settings" component={TenantSettings} />
                <Route default component={NotFound} />
              </Router>
            )}
          </Layout>
        </ErrorBoundary>
      </LocationProvider>
    </SessionContext.Provider>
  )
}
