/**
 * Browser tests' plumbing: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * one browser per test file, pages that record every request, page error and console error, and
 * axe-core run inside the page. See shared/STACK.md for the launch flags: without the networking
 * ones Chromium tries to reach Google's services.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { ADMIN_TOKEN } from '../helpers/server.js'

export const CHROMIUM = process.env.HOOKRELAY_CHROMIUM ?? '/usr/bin/chromium'

export const DESKTOP = { width: 1280, height: 800 }
export const PHONE = { width: 390, height: 844 }

/** Launches Chromium, or fails saying how to get it (a missing browser never skips the tests). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM}. Install Debian's package: \`sudo apt-get update && sudo apt-get install -y chromium\` ` +
        '(or point HOOKRELAY_CHROMIUM at another Chromium). Never `npx playwright install`: it downloads a browser.',
    )
  }
  if (!existsSync('dist/web/index.html')) throw new Error('dist/web is missing: run `npm run build` before the browser tests.')
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
}

export interface WatchedPage {
  page: Page
  /** Uncaught exceptions in the page. */
  pageErrors: string[]
  /** console.error lines (CSP violations land here), but Chromium's note of each 4xx answer, which the API gives on purpose. */
  consoleErrors: string[]
  /** Responses of 500 and above. */
  serverErrors: string[]
  /** Every URL the page requested. */
  requests: string[]
  /** Asserts no page error, no console error (but those expected), no request off `origin`. */
  assertClean(origin: string, allowConsole?: RegExp): void
}

export async function openPage(browser: Browser, opts: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: DESKTOP, ...opts })
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  const pageErrors: string[] = []
  const consoleErrors: string[] = []
  const requests: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const serverErrors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) consoleErrors.push(m.text())
  })
  page.on('response', (r) => {
    if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`)
  })
  page.on('request', (r) => requests.push(r.url()))
  return {
    page,
    pageErrors,
    consoleErrors,
    serverErrors,
    requests,
    assertClean(origin, allowConsole) {
      expect(pageErrors, 'uncaught page errors').toEqual([])
      expect(consoleErrors.filter((l) => !allowConsole?.test(l)), 'console errors').toEqual([])
      expect(serverErrors, 'server errors').toEqual([])
      const outside = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'))
      expect(outside, 'requests that left the server origin').toEqual([])
    },
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** Runs axe-core in the page: no serious or critical violation. Evaluated through the protocol, so the page's CSP stays as served. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe
    const r = await axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
  })
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(serious, `axe on ${where}`).toEqual([])
}

/** Signs in on the dashboard with a token (the admin's by default) and waits for the app. */
export async function signIn(page: Page, url: string, token = ADMIN_TOKEN): Promise<void> {
  await page.goto(`${url}/ui/`)
  await page.getByLabel('Token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}
