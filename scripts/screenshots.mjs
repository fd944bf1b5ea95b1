// Screenshots of every screen of the web console, light and dark, desktop (1280x800) and phone
// (390x844), into docs/screenshots/. Needs `npm run build` and Debian's chromium. Everything runs on
// loopback: the built server on a free port, a receiver beside it, a temporary data directory.
import { spawn } from 'node:child_process'
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
await api('POST', '/v1/tenants/acme/sources', { name: 'Stripe', verification: { type: 'stripe', secret: 'whsec_c2NyZWVuc2hvdHNlY3JldA==' }, eventTypePath: 'type', mappings: [{ eventType: 'invoice.paid', action: 'publish', publishAs: 'invoice.paid', fields: { invoiceId: 'data.object.id' }, required: ['invoiceId'] }] })
await api('POST', '/v1/tenants/acme/routes', { name: 'checkout', upstreamUrl: `${sink}/checkout` })
await api('POST', '/v1/tenants/acme/api-keys', { name: 'billing-service' })
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
  ['source', `/ui/t/acme/sources/${sources.data[0]?.id}`],
  ['routes', '/ui/t/acme/routes'],
  ['api-keys', '/ui/t/acme/api-keys'],
  ['portal-links', '/ui/t/acme/portal-links'],
  ['tenant-settings', '/ui/t/acme/settings'],
  ['operator', '/ui/operator'],
]
const only = process.argv[2]
const browser = await chromium.launch({
  executablePath: process.env.HOOKRELAY_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
})
try {
  for (const [device, viewport] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]]) {
    for (const mode of ['light', 'dark']) {
      const context = await browser.newContext({ viewport, colorScheme: mode, deviceScaleFactor: 1 })
      const page = await context.newPage()
      for (const [name, path] of screens) {
        if (only && !name.startsWith(only)) continue
        if (name === 'signin') {
          await page.goto(url + path)
          await page.getByLabel('Token').waitFor()
        } else {
          if (!(await page.evaluate(() => sessionStorage.getItem('hookrelay.token')))) await page.evaluate((t) => sessionStorage.setItem('hookrelay.token', t), TOKEN)
          await page.goto(url + path)
          await page.locator('main h1').first().waitFor()
          await page.waitForLoadState('networkidle').catch(() => {})
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
