/**
 * The web console's serving (API.md, Dashboard and portal): the built app under /ui/ and /portal,
 * with its CSP, framing rules and caching. Needs dist/web (`npm run build`).
 */
import { existsSync, readdirSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'

const ALLOWED = 'http://localhost:4321'

describe('the web console is served', () => {
  let s: TestServer
  beforeAll(async () => {
    if (!existsSync('dist/web/index.html')) throw new Error('dist/web is missing: run `npm run build` first')
    s = await startTestServer({ portalOrigins: [ALLOWED] })
  })
  afterAll(() => s?.close())

  const get = (path: string, headers: Record<string, string> = {}) => fetch(s.url + path, { headers, redirect: 'manual' })

  it('at /ui/: the app, never framed, with a strict CSP and no caching of the index', async () => {
    const res = await get('/ui/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const html = await res.text()
    expect(html).toMatch(/<script type="module" crossorigin src="\/ui\/assets\/index-[\w-]+\.js"><\/script>/)
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g)).toBeNull()
    // No request to another origin from the page itself.
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('at any deeper path under /ui/ and /portal (the app routes it), but not for a missing file', async () => {
    for (const path of ['/ui/t/acme/endpoints', '/ui/tenants?x=1', '/portal', '/portal/endpoints/ep_1']) {
      const res = await get(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8')
    }
    expect((await get('/ui/assets/index-gone.js')).status).toBe(404)
    expect((await get('/ui/nothing.png')).status).toBe(404)
    const redirect = await get('/ui?a=1')
    expect(redirect.status).toBe(308)
    expect(redirect.headers.get('location')).toBe('/ui/?a=1')
  })

  it('at /portal: framed only by this origin and HOOKRELAY_PORTAL_ORIGINS', async () => {
    const res = await get('/portal')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain(`frame-ancestors 'self' ${ALLOWED}`)
    expect(csp).toContain("script-src 'self'")
    expect(res.headers.get('x-frame-options')).toBeNull()
  })

  it('with hashed assets cached for good, typed, gzipped when asked, and revalidated by ETag', async () => {
    const js = readdirSync('dist/web/assets').find((f) => f.endsWith('.js'))!
    const res = await get(`/ui/assets/${js}`, { 'accept-encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    // fetch decodes gzip itself; the raw bytes are checked through a plain request below.
    expect((await res.text()).length).toBeGreaterThan(0)
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get: httpGet }) => {
        httpGet(`${s.url}/ui/assets/${js}`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c: Buffer) => chunks.push(c))
          r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }))
        }).on('error', reject)
      }, reject)
    })
    expect(raw.encoding).toBe('gzip')
    expect(gunzipSync(raw.body).length).toBeGreaterThan(raw.body.length)
    const again = await get(`/ui/assets/${js}`, { 'if-none-match': res.headers.get('etag')! })
    expect(again.status).toBe(304)
    const css = readdirSync('dist/web/assets').find((f) => f.endsWith('.css'))!
    expect((await get(`/ui/assets/${css}`)).headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('without touching the API auth: the app needs no token to load, the API still does', async () => {
    expect((await get('/ui/')).status).toBe(200)
    expect((await get('/v1/tenants')).status).toBe(401)
  })
})
