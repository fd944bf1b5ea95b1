/**
 * The console in real Chromium across nodes of one PostgreSQL database (made for this file, dropped
 * after it): an attempt made by a `--role worker` process reaches the deliveries screen served by a
 * `--role api` node without a reload (LISTEN/NOTIFY is the only way it can get there: the api nodes
 * deliver nothing, and the screen does not poll: only an attempt on its stream refreshes it), and a portal session revoked on one api node is
 * refused at once on another, whose open portal page then shows that the session ended. Runs only
 * in the PostgreSQL pass of `npm test` (the .postgres.test.ts suffix; see vitest.config.ts and
 * scripts/test-postgres.mjs).
 */
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAllChildren, spawnServer } from '../helpers/child-server.js'
import { databaseFor } from '../helpers/postgres.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'
import { launchBrowser, openPage, signIn } from './browser.js'

describe('the console across api and worker processes on one PostgreSQL', () => {
  const dir = useTempDirs('console-nodes')
  let browser: Browser
  let receiver: Receiver
  /** Two api nodes on the one database, as two processes behind a load balancer would be. */
  let a: TestServer
  let b: TestServer

  beforeAll(async () => {
    const workerDir = dir('worker')
    // The worker's data directory names the database (helpers/postgres.ts), so spawnServer reuses it.
    const databaseUrl = (await databaseFor(workerDir)).url
    // The first node migrates the database; then the rest start together (the worker, a real process, is the slowest).
    a = await startTestServer({ databaseUrl, dataDir: dir('api-a'), role: 'api' })
    ;[b, browser, receiver] = await Promise.all([
      startTestServer({ databaseUrl, dataDir: dir('api-b'), role: 'api' }),
      launchBrowser(),
      startReceiver(),
      spawnServer({ dataDir: workerDir, env: { HOOKRELAY_DATABASE_URL: databaseUrl }, args: ['--role', 'worker'] }),
    ])
    expect((await a.api('POST', '/v1/tenants', { id: 'live', name: 'Live' })).status).toBe(201)
    expect((await a.api('POST', '/v1/tenants/live/endpoints', { name: 'Orders hook', url: `${receiver.url}/orders` })).status).toBe(201)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await killAllChildren()
    await b?.close()
    await a?.close()
    await receiver?.close()
  })

  it('shows an attempt made by the worker process on the deliveries screen of an api node, without a reload', async () => {
    const w = await openPage(browser)
    const { page } = w
    await signIn(page, b.url)
    await page.goto(`${b.url}/ui/t/live/deliveries`)
    await page.getByText('No deliveries.').waitFor()
    await page.getByRole('status').getByText('Live', { exact: true }).waitFor()
    // A mark on the page's window: a reload or navigation would lose it.
    await page.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true))

    // Published on the other api node; only the worker process delivers it.
    const pub = await a.api('POST', '/v1/tenants/live/events', { type: 'order.created', payload: { orderId: 'o_1' } })
    expect(pub.status).toBe(202)
    const row = page.locator('tbody tr').filter({ hasText: pub.body.id })
    await row.getByText('succeeded', { exact: true }).waitFor({ timeout: 30_000 })
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true)
    expect(receiver.hits).toHaveLength(1)
    expect(JSON.parse(receiver.hits[0]!.body)).toMatchObject({ type: 'order.created', data: { orderId: 'o_1' } })
    w.assertClean(b.url)
    await page.context().close()
  }, 60_000)

  it('refuses a portal session revoked on one api node at once on the other, whose open page says the session ended', async () => {
    const s = await a.api('POST', '/v1/tenants/live/portal-sessions', { theme: { title: 'Live webhooks' } })
    expect(s.status).toBe(201)
    const token = s.body.token as string
    const w = await openPage(browser)
    const { page } = w
    // The link the first node made, opened on the second.
    await page.goto(`${b.url}/portal#token=${token}`)
    await page.locator('nav#nav').waitFor({ state: 'attached' })
    await page.goto(`${b.url}/portal/deliveries`)
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await page.getByRole('link', { name: 'Orders hook' }).first().waitFor()
    await page.getByRole('status').getByText('Live', { exact: true }).waitFor()
    expect((await b.api('GET', '/v1/tenants/live/endpoints', undefined, { token })).status).toBe(200)

    expect((await a.api('DELETE', `/v1/tenants/live/portal-sessions/${s.body.id}`)).status).toBe(204)
    const refused = await b.api('GET', '/v1/tenants/live/endpoints', undefined, { token })
    expect(refused.status).toBe(401)
    expect(refused.body.code).toBe('unauthorized')
    // No click: the second node ends the page's live stream, and the page shows why.
    await page.getByRole('heading', { name: 'This session has ended' }).waitFor({ timeout: 15_000 })
    expect(await page.getByRole('link', { name: 'Orders hook' }).count()).toBe(0)
    w.assertClean(b.url)
    await page.context().close()
  }, 60_000)
})
