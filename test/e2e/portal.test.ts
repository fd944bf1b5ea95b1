/**
 * The tenant portal in real Chromium against a real server and a receiver on loopback: a session
 * sees only its tenant; a read-only session (no capabilities) has no reveal or edit (and the API
 * says 403); revocation ends it at once with a clear page; framing only from
 * HOOKRELAY_PORTAL_ORIGINS (a host page on another loopback port, allowed and not); the template
 * editor's parameters and the live preview; a delivery appearing without a reload; the phone
 * layout; axe on every screen; nothing off the server's origin.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { expectAccessible, launchBrowser, openPage, PHONE, type WatchedPage } from './browser.js'

/** A page on its own loopback port that frames `src`: another origin than the server's. */
async function hostPage(): Promise<{ server: Server; origin: string; setSrc: (src: string) => void }> {
  let src = ''
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Host</title><iframe title="Webhooks" src="${src}" width="1000" height="700"></iframe>`)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, setSrc: (s) => (src = s) }
}

describe('the portal', () => {
  let browser: Browser
  let server: TestServer
  let receiver: Receiver
  let allowed: Awaited<ReturnType<typeof hostPage>>
  let denied: Awaited<ReturnType<typeof hostPage>>
  let full: { id: string; token: string; url: string }
  let w: WatchedPage
  let epA = ''
  let epB = ''

  const session = async (capabilities?: string[]) => {
    const res = await server.api('POST', '/v1/tenants/pa/portal-sessions', { ...(capabilities ? { capabilities } : {}), theme: { title: 'Acme webhooks' } })
    expect(res.status).toBe(201)
    return res.body as { id: string; token: string; url: string }
  }

  beforeAll(async () => {
    ;[allowed, denied] = await Promise.all([hostPage(), hostPage()])
    ;[browser, server, receiver] = await Promise.all([launchBrowser(), startTestServer({ portalOrigins: [allowed.origin] }), startReceiver()])
    for (const [id, name] of [['pa', 'Portal A'], ['pb', 'Portal B']]) expect((await server.api('POST', '/v1/tenants', { id, name })).status).toBe(201)
    await server.api('POST', '/v1/event-types', { name: 'invoice.paid', description: 'An invoice was paid', example: { invoiceId: 'in_1', amount: 4200 } })
    epA = (await server.api('POST', '/v1/tenants/pa/endpoints', { name: 'A billing', url: `${receiver.url}/a` })).body.id
    epB = (await server.api('POST', '/v1/tenants/pb/endpoints', { name: 'B secret hook', url: `${receiver.url}/b` })).body.id
    full = await session()
    w = await openPage(browser)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await receiver?.close()
    allowed?.server.close()
    denied?.server.close()
  })

  it("shows only its own tenant's endpoints, accessible", async () => {
    const { page } = w
    await page.goto(full.url)
    await page.getByRole('link', { name: 'Endpoints' }).first().click()
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    await page.getByRole('link', { name: 'A billing' }).waitFor()
    expect(await page.getByText('B secret hook').count()).toBe(0)
    expect(new URL(page.url()).hash).toBe('')
    await expectAccessible(page, 'portal endpoints')
    // The other tenant's endpoint is not this session's to read.
    expect((await server.api('GET', `/v1/tenants/pb/endpoints/${epB}`, undefined, { token: full.token })).status).toBe(403)
    await page.getByRole('link', { name: 'A billing' }).click()
    await page.getByRole('heading', { name: 'Health' }).waitFor()
    await page.getByRole('button', { name: 'Reveal secret' }).waitFor()
    await expectAccessible(page, 'portal endpoint detail')
  })

  it("lists the template's available parameters from the type's example and previews the exact request", async () => {
    const { page } = w
    await page.goto(`${server.url}/portal/endpoints/new`)
    await page.getByRole('heading', { name: 'Create endpoint' }).waitFor()
    await page.getByLabel('URL', { exact: true }).fill(`${receiver.url}/preview`)
    await page.getByLabel('Event type for parameters and preview').selectOption('invoice.paid')
    await page.getByRole('button', { name: 'Insert event.data.invoiceId' }).waitFor()
    await page.getByRole('button', { name: 'Insert event.data.amount' }).waitFor()
    await expect.poll(() => page.locator('.preview').textContent(), { timeout: 10_000 }).toContain(`${receiver.url}/preview`)
    await expect.poll(() => page.locator('.preview').textContent()).toContain('webhook-signature')
    await expect.poll(() => page.locator('.preview').textContent()).toContain('in_1')
    await expectAccessible(page, 'portal create endpoint')
  })

  it('shows a new delivery without a reload', async () => {
    const { page } = w
    await page.goto(`${server.url}/portal/deliveries`)
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    const rows = () => page.locator('tbody tr').count()
    const before = await rows()
    await new Promise((r) => setTimeout(r, 500))
    expect((await server.api('POST', '/v1/tenants/pa/events', { type: 'invoice.paid', payload: { invoiceId: 'in_live' } })).status).toBe(202)
    await expect.poll(rows, { timeout: 15_000 }).toBeGreaterThan(before)
    await expectAccessible(page, 'portal deliveries')
  })

  it('read-only: no reveal, rotate, edit or create, and the API refuses them with 403', async () => {
    const ro = await session([])
    const v = await openPage(browser)
    await v.page.goto(ro.url)
    // The app keeps the fragment's token once it has started: wait for it before navigating away.
    await v.page.locator('nav#nav').waitFor({ state: 'attached' })
    await v.page.goto(`${server.url}/portal/endpoints/${epA}`)
    await v.page.getByRole('heading', { name: 'Health' }).waitFor()
    await v.page.getByText('This session may not read or rotate the secret.').waitFor()
    for (const name of ['Reveal secret', 'Rotate secret', 'Edit', 'Delete']) expect(await v.page.getByRole('button', { name, exact: true }).count(), name).toBe(0)
    await v.page.goto(`${server.url}/portal/endpoints`)
    await v.page.getByRole('link', { name: 'A billing' }).waitFor()
    expect(await v.page.getByRole('button', { name: 'Create endpoint' }).count()).toBe(0)
    const toggles = v.page.locator('tbody input[type=checkbox]')
    for (let i = 0; i < (await toggles.count()); i++) expect(await toggles.nth(i).isDisabled()).toBe(true)
    await expectAccessible(v.page, 'read-only endpoints')
    const as = { token: ro.token }
    expect((await server.api('GET', `/v1/tenants/pa/endpoints/${epA}/secret`, undefined, as)).body.code).toBe('capability_missing')
    expect((await server.api('POST', `/v1/tenants/pa/endpoints/${epA}/secret/rotate`, {}, as)).status).toBe(403)
    expect((await server.api('PATCH', `/v1/tenants/pa/endpoints/${epA}`, { name: 'x' }, as)).status).toBe(403)
    expect((await server.api('POST', '/v1/tenants/pa/endpoints', { url: `${receiver.url}/x` }, as)).status).toBe(403)
    v.assertClean(server.url)
    await v.page.context().close()
  })

  it('stops at once when revoked: the next action shows that the session ended', async () => {
    const s = await session()
    const v = await openPage(browser)
    await v.page.goto(s.url)
    await v.page.getByRole('link', { name: 'Endpoints' }).first().click()
    await v.page.getByRole('link', { name: 'A billing' }).waitFor()
    expect((await server.api('DELETE', `/v1/tenants/pa/portal-sessions/${s.id}`)).status).toBe(204)
    await v.page.getByRole('link', { name: 'A billing' }).click()
    await v.page.getByRole('heading', { name: 'This session has ended' }).waitFor()
    await expectAccessible(v.page, 'session ended')
    expect((await server.api('GET', '/v1/tenants/pa/endpoints', undefined, { token: s.token })).status).toBe(401)
    v.assertClean(server.url)
    await v.page.context().close()
  })

  it('may be framed from HOOKRELAY_PORTAL_ORIGINS only', async () => {
    const v = await openPage(browser)
    const portalResponse = v.page.waitForResponse((r) => r.url().startsWith(`${server.url}/portal`) && r.request().resourceType() === 'document')
    allowed.setSrc(full.url)
    await v.page.goto(`${allowed.origin}/`)
    const csp = (await (await portalResponse).allHeaders())['content-security-policy'] ?? ''
    expect(csp).toMatch(new RegExp(`frame-ancestors 'self' ${allowed.origin.replace(/[.:/]/g, '\\$&')}(;|$)`))
    expect(csp).not.toContain(denied.origin)
    await v.page.frameLocator('iframe').getByRole('heading', { name: 'Acme webhooks' }).or(v.page.frameLocator('iframe').getByRole('link', { name: 'Endpoints' }).first()).first().waitFor()

    denied.setSrc(full.url)
    const blocked = v.page.waitForResponse((r) => r.url().startsWith(`${server.url}/portal`) && r.request().resourceType() === 'document')
    await v.page.goto(`${denied.origin}/`)
    await blocked
    await new Promise((r) => setTimeout(r, 1000))
    const frame = v.page.frames().find((f) => f !== v.page.mainFrame())
    // Chromium replaces a frame refused by frame-ancestors with its own error page: none of the portal's links.
    const rendered = frame ? await frame.evaluate(() => document.querySelectorAll('a[href^="/portal"]').length).catch(() => 0) : 0
    expect(rendered).toBe(0)
    expect(frame?.url() ?? '').not.toMatch(/^http:\/\/127\.0\.0\.1:\d+\/portal\/./)
    // The dashboard refuses every frame.
    const ui = await fetch(`${server.url}/ui/`)
    expect(ui.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(ui.headers.get('x-frame-options')).toBe('DENY')
    await v.page.context().close()
  })

  it('lays out on a phone', async () => {
    const s = await session()
    const phone = await openPage(browser, { viewport: PHONE })
    await phone.page.goto(s.url)
    // As above: the token is kept once the app has started (the nav is attached, hidden on a phone).
    await phone.page.locator('nav#nav').waitFor({ state: 'attached' })
    await phone.page.goto(`${server.url}/portal/endpoints`)
    await phone.page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await expectAccessible(phone.page, 'portal phone endpoints')
    phone.assertClean(server.url)
    await phone.page.context().close()
  })

  it('made no request off the server origin and raised no page error', () => {
    w.assertClean(server.url)
  })
})
