/**
 * The dashboard in real Chromium against a real server (SQLite, or PostgreSQL in the second pass)
 * and a real receiver on loopback: sign-in, the endpoint form, the endpoint's secret and test send,
 * deliveries and their attempts, retry, filters in the URL, the phone layout, accessibility, and
 * that nothing leaves the server's origin.
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { expectAccessible, launchBrowser, openPage, PHONE, signIn, type WatchedPage } from './browser.js'

describe('the dashboard', () => {
  let browser: Browser
  let server: TestServer
  let receiver: Receiver
  let w: WatchedPage

  beforeAll(async () => {
    ;[browser, server, receiver] = await Promise.all([launchBrowser(), startTestServer(), startReceiver()])
    expect((await server.api('POST', '/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201)
    await server.api('POST', '/v1/event-types', { name: 'invoice.paid', description: 'An invoice was paid', example: { invoiceId: 'in_1', amount: 4200 } })
    w = await openPage(browser)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await receiver?.close()
  })

  it('signs in with the admin token, kept in sessionStorage only, and lists the tenants', async () => {
    const { page } = w
    await page.goto(`${server.url}/ui/`)
    await expectAccessible(page, 'sign-in')
    await page.getByLabel('Token').fill('wrong-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('That token was not accepted').waitFor()
    await signIn(page, server.url)
    await page.getByRole('heading', { name: 'Tenants' }).waitFor()
    await page.getByRole('link', { name: 'Acme' }).waitFor()
    expect(await page.evaluate(() => sessionStorage.getItem('hookrelay.token'))).toBe('test-admin-token')
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain('test-admin-token')
    expect(await page.evaluate(() => document.cookie)).toBe('')
    await expectAccessible(page, 'tenants')
  })

  let endpointId = ''

  it('creates an endpoint through the form, and the API shows exactly what was entered', async () => {
    const { page } = w
    await page.goto(`${server.url}/ui/t/acme/endpoints`)
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    await page.getByRole('button', { name: 'Create endpoint' }).click()
    await page.getByRole('heading', { name: 'Create endpoint' }).waitFor()
    await expectAccessible(page, 'create endpoint')
    // A refusal names its field: the URL is required.
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await expect.poll(() => page.locator('#url-error').textContent()).toBeTruthy()
    await page.getByLabel('URL', { exact: true }).fill(`${receiver.url}/hooks`)
    await page.getByLabel('Name', { exact: true }).fill('Billing hook')
    await page.getByLabel('Description').fill('Sends invoices to billing')
    await page.getByLabel('Method').selectOption('PUT')
    await page.getByRole('checkbox', { name: 'invoice.paid' }).check()
    await page.getByRole('button', { name: 'Add header' }).click()
    await page.locator('#headers-name-0').fill('X-Env')
    await page.locator('#headers-value-0').fill('prod')
    await page.getByLabel('Max retries').fill('2')
    await page.getByLabel('Timeout seconds').fill('10')
    await page.getByLabel('Metadata', { exact: true }).fill('{"team": "billing"}')
    await page.getByRole('button', { name: 'Create', exact: true }).click()
    await page.getByRole('heading', { name: 'Billing hook' }).waitFor()
    endpointId = /\/endpoints\/(ep_[\w-]+)/.exec(page.url())![1]!
    const { body } = await server.api('GET', `/v1/tenants/acme/endpoints/${endpointId}`)
    expect(body).toMatchObject({
      name: 'Billing hook',
      description: 'Sends invoices to billing',
      url: `${receiver.url}/hooks`,
      method: 'PUT',
      eventTypes: ['invoice.paid'],
      headers: { 'X-Env': 'prod' },
      retry: { enabled: true, maxRetries: 2 },
      timeoutSeconds: 10,
      metadata: { team: 'billing' },
    })
  })

  it('reveals the secret, and rotates it after a confirmation that explains the 24-hour overlap', async () => {
    const { page } = w
    const { body: before } = await server.api('GET', `/v1/tenants/acme/endpoints/${endpointId}/secret`)
    await page.getByRole('button', { name: 'Reveal secret' }).click()
    await page.getByText(before.secret).waitFor()
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    const dialog = page.getByRole('dialog', { name: 'Rotate the signing secret?' })
    await dialog.getByText('24 hours').waitFor()
    await expectAccessible(page, 'rotate dialog')
    await dialog.getByRole('button', { name: 'Rotate secret' }).click()
    await page.getByText('keeps signing alongside this one for 24 hours').waitFor()
    const { body: after } = await server.api('GET', `/v1/tenants/acme/endpoints/${endpointId}/secret`)
    expect(after.secret).not.toBe(before.secret)
    await page.getByText(after.secret).waitFor()
  })

  it('sends a test with the edited example payload and shows the attempt in place', async () => {
    const { page } = w
    await page.getByLabel('Event type', { exact: true }).selectOption('invoice.paid')
    await expect.poll(() => page.getByLabel('Payload').inputValue()).toContain('in_1')
    await page.getByLabel('Payload').fill('{"invoiceId": "in_test", "amount": 1}')
    await page.getByRole('button', { name: 'Send test' }).click()
    const result = page.locator('.test-result')
    await result.getByRole('heading', { name: /Attempt 1/ }).waitFor()
    await result.getByText('trigger test').waitFor()
    const hits = await receiver.waitForHits(1)
    expect(hits[0]!.method).toBe('PUT')
    expect(JSON.parse(hits[0]!.body)).toMatchObject({ type: 'invoice.paid', data: { invoiceId: 'in_test' } })
    await expectAccessible(page, 'endpoint detail')
  })

  it('opens a delivery with every attempt shown, and retries it', async () => {
    const { page } = w
    receiver.setHandler(() => ({ status: 500, body: 'receiver down' }))
    const published = await server.api('POST', '/v1/tenants/acme/events', { type: 'invoice.paid', payload: { invoiceId: 'in_9', amount: 9 } })
    expect(published.status).toBe(202)
    const delivery = await eventually(async () => {
      const { body } = await server.api('GET', `/v1/tenants/acme/deliveries?eventId=${published.body.id}`)
      const d = body.data[0]
      return d && d.status === 'failed' ? d : null
    }, 20_000, 100)
    await page.goto(`${server.url}/ui/t/acme/deliveries/${delivery.id}`)
    await page.getByRole('heading', { name: /Delivery/ }).waitFor()
    const attempts = page.getByRole('article')
    await expect.poll(() => attempts.count()).toBe(3)
    // Each attempt's request body and response status without a click.
    await page.getByLabel('Attempt 1 request body').getByText('in_9').waitFor()
    await page.getByLabel('Attempt 1 response body').getByText('receiver down').waitFor()
    await expectAccessible(page, 'delivery detail')
    receiver.setHandler(() => ({ status: 200, body: 'ok now' }))
    await page.getByRole('button', { name: 'Retry' }).click()
    await eventually(async () => (await server.api('GET', `/v1/tenants/acme/deliveries/${delivery.id}`)).body.status === 'succeeded', 10_000, 100)
    await page.reload()
    await page.getByLabel('Attempt 4 response body').getByText('ok now').waitFor()
    expect((await server.api('GET', `/v1/tenants/acme/deliveries/${delivery.id}`)).body.attempts[3].trigger).toBe('manual')
  })

  it('keeps the deliveries filters in the URL, so they survive a reload', async () => {
    const { page } = w
    await page.goto(`${server.url}/ui/t/acme/deliveries`)
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await page.getByLabel('Status').selectOption('succeeded')
    await page.getByLabel('Endpoint', { exact: true }).selectOption(endpointId)
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('succeeded')
    expect(new URL(page.url()).searchParams.get('endpointId')).toBe(endpointId)
    await page.reload()
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await expect.poll(() => page.getByLabel('Status').inputValue()).toBe('succeeded')
    expect(await page.getByLabel('Endpoint', { exact: true }).inputValue()).toBe(endpointId)
    await expect.poll(() => page.getByRole('table', { name: '' }).or(page.locator('table')).locator('tbody tr').count()).toBeGreaterThan(0)
    await expectAccessible(page, 'deliveries')
  })

  it('shows events and the catalog, accessible', async () => {
    const { page } = w
    await page.goto(`${server.url}/ui/t/acme/events`)
    await page.getByRole('heading', { name: 'Events' }).waitFor()
    await page.locator('tbody tr').first().waitFor()
    await expectAccessible(page, 'events')
    await page.getByRole('link', { name: /^evt_/ }).first().click()
    await page.getByRole('heading', { name: 'Payload' }).waitFor()
    await expectAccessible(page, 'event detail')
    await page.goto(`${server.url}/ui/event-types`)
    await page.getByRole('heading', { name: 'invoice.paid' }).waitFor()
    await expectAccessible(page, 'event types')
  })

  it('lays out on a phone: the menu opens the navigation, tables scroll inside the page', async () => {
    const phone = await openPage(browser, { viewport: PHONE })
    await signIn(phone.page, server.url)
    await phone.page.goto(`${server.url}/ui/t/acme/endpoints`)
    await phone.page.getByRole('heading', { name: 'Endpoints' }).waitFor()
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth)
    expect(width).toBeLessThanOrEqual(PHONE.width)
    expect(await phone.page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false)
    await phone.page.getByRole('button', { name: 'Menu' }).click()
    await phone.page.getByRole('link', { name: 'Deliveries' }).click()
    await phone.page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await expectAccessible(phone.page, 'phone deliveries')
    phone.assertClean(server.url)
    await phone.page.context().close()
  })

  it('made no request off the server origin and raised no page error', () => {
    w.assertClean(server.url)
  })
})
