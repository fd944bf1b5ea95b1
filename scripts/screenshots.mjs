// Screenshots of every screen of the web console, light and dark, desktop (1280x800) and phone
// (390x844), into docs/screenshots/. Needs `npm run build` and Debian's chromium. Everything runs on
// loopback: the built server on a free port, a receiver beside it, a temporary data directory.
import { spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'

const TOKEN = 'screenshots-admin-token'
const out = 'docs/screenshots'
mkdirSync(out, { recursive: true })
const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-shots-'))

let fail = true
const receiver = http.createServer((req, res) => {
  req.resume()
  fail = !fail
  res.writeHead(fail && req.url.includes('flaky') ? 503 : 200, { 'content-type': 'application/json' }).end('{"ok":true}')
})
await new Promise((r) => receiver.listen(0, '127.0.0.1', r))
const sink = `http://127.0.0.1:${receiver.address().port}`

const server = spawn(process.execPath, ['bin/hookrelay.js', 'serve', '--port', '0', '--data-dir', dataDir], {
  env: { ...process.env, HOOKRELAY_ADMIN_TOKEN: TOKEN, HOOKRELAY_ALLOWED_NETWORKS: '127.0.0.0/8', HOOKRELAY_LOG_LEVEL: 'silent' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
console.log('spawned')
const url = await new Promise((resolve) => createInterface({ input: server.stdout }).on('line', (l) => l.startsWith('hookrelay listening on ') && resolve(l.slice(23).trim())))

const api = async (method, path, body) => {
  const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: body && JSON.stringify(body) })
  return r.status === 204 ? null : r.json()
}
console.log('server', url)
await api('POST', '/v1/tenants', { id: 'acme', name: 'Acme Corp', metadata: { plan: 'pro' } })
await api('POST', '/v1/event-types', { name: 'invoice.paid', description: 'An invoice was paid in full.', example: { invoiceId: 'in_1042', amount: 4200, currency: 'eur', customer: { id: 'cus_7', email: 'ada@example.com' } } })
await api('POST', '/v1/event-types', { name: 'invoice.failed', description: 'A payment attempt failed.', example: { invoiceId: 'in_1043', reason: 'card_declined' } })
const billing = await api('POST', '/v1/tenants/acme/endpoints', { name: 'Billing service', url: `${sink}/billing`, eventTypes: ['invoice.*'], description: 'Books paid invoices' })
await api('POST', '/v1/tenants/acme/endpoints', { name: 'Flaky CRM', url: `${sink}/flaky`, eventTypes: ['invoice.paid'], retry: { maxRetries: 1 } })
await api('POST', '/v1/tenants/acme/endpoints', { name: 'Slack alerts', url: `${sink}/slack`, eventTypes: ['invoice.failed'], payload: { template: '{"text": {{ "Invoice " | append: event.data.invoiceId | append: " failed" | json }}}' } })
for (let i = 0; i < 12; i++) await api('POST', '/v1/tenants/acme/events', { type: i % 4 === 3 ? 'invoice.failed' : 'invoice.paid', payload: { invoiceId: `in_${1040 + i}`, amount: 1000 + i * 250, currency: 'eur' } })
const stripeSecret = 'whsec_c2NyZWVuc2hvdHNlY3JldA=='
const stripe = await api('POST', '/v1/tenants/acme/sources', { name: 'Stripe', verification: { type: 'stripe', secret: stripeSecret }, eventTypePath: 'type', mappings: [{ eventType: 'invoice.paid', action: 'publish', publishAs: 'invoice.paid', fields: { invoiceId: 'data.object.id' }, required: ['invoiceId'] }] })
// The source's request log: a request published, one refused by its signature, one with no mapping, one missing a required field.
const ingest = async (body, signed = true) => {
  const t = Math.floor(Date.now() / 1000)
  const v1 = signed ? createHmac('sha256', stripeSecret).update(`${t}.${body}`).digest('hex') : '0'.repeat(64)
  await fetch(stripe.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` }, body })
}
await ingest(JSON.stringify({ type: 'invoice.paid', data: { object: { id: 'in_2001', amount_paid: 4200 } } }))
await ingest(JSON.stringify({ type: 'invoice.paid', data: { object: { id: 'in_forged' } } }), false)
await ingest(JSON.stringify({ type: 'customer.created', data: { object: { id: 'cus_8' } } }))
await ingest(JSON.stringify({ type: 'invoice.paid', data: { object: { amount_paid: 10 } } }))
await api('POST', '/v1/tenants/acme/routes', { name: 'checkout', upstreamUrl: `${sink}/checkout` })
await api('POST', '/v1/tenants/acme/api-keys', { name: 'billing-service' })
await api('POST', '/v1/tenants/acme/portal-sessions', { capabilities: ['endpoints.write'], theme: { title: 'Support desk' } })
// The portal as a tenant's people see it, with the tenant's branding, and a link that was revoked.
const portal = await api('POST', '/v1/tenants/acme/portal-sessions', { theme: { title: 'Acme webhooks', primaryColor: '#0f766e' } })
const revoked = await api('POST', '/v1/tenants/acme/portal-sessions', {})
await api('DELETE', `/v1/tenants/acme/portal-sessions/${revoked.id}`)
await new Promise((r) => setTimeout(r, 4000))
const deliveries = await api('GET', '/v1/tenants/acme/deliveries?limit=1')
const events = await api('GET', '/v1/tenants/acme/events?limit=1')
const sources = await api('GET', '/v1/tenants/acme/sources')

console.log('seeded')
const screens = [
  ['signin', '/ui/'],
  ['tenants', '/ui/tenants'],
  ['endpoints', '/ui/t/acme/endpoints'],
  ['endpoint-create', '/ui/t/acme/endpoints/new'],
  ['endpoint-detail', `/ui/t/acme/endpoints/${billing.id}`],
  ['deliveries', '/ui/t/acme/deliveries'],
  ['delivery', `/ui/t/acme/deliveries/${deliveries.data[0]?.id}`],
  ['events', '/ui/t/acme/events'],
  ['event', `/ui/t/acme/events/${events.data[0]?.id}`],
  ['event-types', '/ui/event-types'],
  ['sources', '/ui/t/acme/sources'],
  ['source-create', '/ui/t/acme/sources', (page) => page.getByRole('button', { name: 'Create source' }).click()],
  ['source', `/ui/t/acme/sources/${sources.data[0]?.id}`],
  ['routes', '/ui/t/acme/routes'],
  ['api-keys', '/ui/t/acme/api-keys'],
  ['portal-links', '/ui/t/acme/portal-links'],
  ['tenant-settings', '/ui/t/acme/settings'],
  ['operator', '/ui/operator'],
  // The portal's screens: the `portal` token is taken from the link's fragment first.
  ['portal-endpoints', '/portal/endpoints'],
  ['portal-endpoint-detail', `/portal/endpoints/${billing.id}`],
  ['portal-deliveries', '/portal/deliveries'],
  ['portal-ended', revoked.url.slice(revoked.url.indexOf('/portal'))],
]
// Optional filters: `npm run screenshots -- deliver portal-` makes only the screens whose names start so.
const only = process.argv.slice(2)
const browser = await chromium.launch({
  executablePath: process.env.HOOKRELAY_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
})
try {
  for (const [device, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    for (const mode of ['light', 'dark']) {
      const context = await browser.newContext({ viewport, colorScheme: mode, deviceScaleFactor: 1 })
      const page = await context.newPage()
      // On the server's origin before any sessionStorage is read (about:blank has none, e.g. with a filter that skips the sign-in).
      await page.goto(`${url}/ui/`)
      for (const [name, path, act] of screens) {
        if (only.length > 0 && !only.some((p) => name.startsWith(p))) continue
        if (name === 'signin') {
          await page.goto(url + path)
          await page.getByLabel('Token').waitFor()
        } else if (path.startsWith('/portal')) {
          // Its own tab: the portal keeps its token in the tab's sessionStorage, as the dashboard does.
          const tab = await context.newPage()
          if (name !== 'portal-ended') {
            await tab.goto(portal.url.replace(/^https?:\/\/[^/]+/, url))
            await tab.locator('nav#nav').waitFor({ state: 'attached' })
          }
          await tab.goto(url + path)
          await tab.locator('main h1').first().waitFor()
          await tab.waitForLoadState('networkidle').catch(() => {})
          await tab.waitForTimeout(300)
          await tab.screenshot({ path: `${out}/${name}-${mode}-${device}.png` })
          await tab.close()
          continue
        } else {
          if (!(await page.evaluate(() => sessionStorage.getItem('hookrelay.token')))) await page.evaluate((t) => sessionStorage.setItem('hookrelay.token', t), TOKEN)
          await page.goto(url + path)
          await page.locator('main h1').first().waitFor()
          await page.waitForLoadState('networkidle').catch(() => {})
          if (act) await act(page)
          await page.waitForTimeout(300)
        }
        await page.screenshot({ path: `${out}/${name}-${mode}-${device}.png` })
      }
      await context.close()
    }
  }
} finally {
  await browser.close()
  server.kill('SIGTERM')
  receiver.close()
  rmSync(dataDir, { recursive: true, force: true })
}
console.log(`screenshots in ${out}/`)
