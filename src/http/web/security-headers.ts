/**
 * The response headers of the web console's documents. Pure: the tests read them as a table.
 *
 * One strict Content-Security-Policy for both faces: scripts and styles only from this origin, no
 * inline script or style, no eval, requests only back to this origin (the API and its event
 * stream). What differs is framing: the dashboard refuses every frame (clickjacking: it holds the
 * admin token), while the portal may be framed by this origin and HOOKRELAY_PORTAL_ORIGINS (CSP
 * frame-ancestors; X-Frame-Options cannot name several origins, so the portal leaves it out), and
 * shows a logo from any https URL its session names.
 */
export type WebFace = 'dashboard' | 'portal'

export function contentSecurityPolicy(face: WebFace, portalOrigins: readonly string[]): string {
  const frameAncestors = face === 'dashboard' ? "'none'" : ["'self'", ...portalOrigins].join(' ')
  const img = face === 'dashboard' ? "'self' data:" : "'self' data: https:"
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${img}`,
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ')
}

/** Headers for an HTML document of the console (index.html under /ui/ or /portal). */
export function documentHeaders(face: WebFace, portalOrigins: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(face, portalOrigins),
    'x-content-type-options': 'nosniff',
    // The portal's token travels in the URL fragment, which no Referer carries; no-referrer also keeps
    // the paths of this console out of the logs of any site it links to.
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    // Always revalidated: a new build's index names new hashed assets.
    'cache-control': 'no-cache',
  }
  if (face === 'dashboard') {
    headers['x-frame-options'] = 'DENY'
    headers['cross-origin-opener-policy'] = 'same-origin'
  }
  return headers
}
