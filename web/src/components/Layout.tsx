import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { useLocation } from 'preact-iso'
import { tenantBase, useSession } from '../session-context'
import { ModeSwitch } from './ModeSwitch'

interface NavItem {
  href: string
  label: string
}

function tenantFromPath(path: string): string | null {
  const m = /^\/ui\/t\/([^/]+)/.exec(path)
  return m ? decodeURIComponent(m[1]!) : null
}

/** The frame of every signed-in screen: a header (title, theme, sign out), the navigation, the screen. */
export function Layout({ children }: { children: ComponentChildren }) {
  const { session, signOut } = useSession()
  const { path } = useLocation()
  const [menuOpen, setMenuOpen] = useState(false)
  const tenantId = session.face === 'portal' ? session.tenantId : (tenantFromPath(path) ?? session.tenantId)
  const base = tenantId === null ? null : tenantBase(session, tenantId)
  const items: NavItem[] = []
  if (session.kind === 'admin') items.push({ href: '/ui/tenants', label: 'Tenants' })
  if (base !== null) {
    items.push({ href: `${base}/endpoints`, label: 'Endpoints' }, { href: `${base}/deliveries`, label: 'Deliveries' }, { href: `${base}/events`, label: 'Events' })
  }
  items.push({ href: session.face === 'portal' ? '/portal/event-types' : '/ui/event-types', label: 'Event types' })
  if (session.kind === 'admin' && base !== null) {
    items.push(
      { href: `${base}/sources`, label: 'Inbound sources' },
      { href: `${base}/routes`, label: 'Gateway routes' },
      { href: `${base}/api-keys`, label: 'API keys' },
      { href: `${base}/portal-links`, label: 'Portal links' },
      { href: `${base}/settings`, label: 'Tenant settings' },
    )
  }
  if (session.kind === 'admin') items.push({ href: '/ui/operator', label: 'Operational events' })
  const title = session.face === 'portal' ? (session.theme?.title ?? 'Webhooks') : 'Hookrelay'
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          {session.face === 'portal' && session.theme?.logoUrl ? <img src={session.theme.logoUrl} alt="" class="logo" /> : <span class="mark" aria-hidden="true" />}
          <span class="title">{title}</span>
          {session.face === 'dashboard' && tenantId !== null ? <span class="tenant-chip">Tenant {tenantId}</span> : null}
        </div>
        <button type="button" class="ghost menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <div class="topbar-actions">
          <ModeSwitch initial={session.theme?.mode} />
          {session.face === 'dashboard' ? (
            <button type="button" class="ghost" onClick={signOut}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <nav id="nav" class={menuOpen ? 'open' : ''} aria-label="Main">
        <ul>
          {items.map((i) => (
            <li key={i.href}>
              <a href={i.href} aria-current={path === i.href || path.startsWith(`${i.href}/`) ? 'page' : undefined} onClick={() => setMenuOpen(false)}>
                {i.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}
