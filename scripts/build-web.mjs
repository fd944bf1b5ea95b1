// Builds the web console (web/, Preact + Vite) into dist/web, which every api node serves at /ui/
// and /portal, then holds it to its size budget: the JavaScript a portal loads, gzipped, must stay
// under 120 KiB, or the build fails. Every chunk counts (the dashboard-only screens too), so the
// figure is an upper bound on the portal's.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

export const PORTAL_JS_BUDGET_BYTES = 120 * 1024

export async function buildWeb() {
  const { build } = await import('vite')
  await build({ configFile: 'web/vite.config.ts' })
  const dir = 'dist/web/assets'
  const js = readdirSync(dir).filter((f) => f.endsWith('.js'))
  const gzipped = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, f)), { level: 9 }).length, 0)
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
  if (gzipped > PORTAL_JS_BUDGET_BYTES) {
    throw new Error(`web console: ${js.length} JavaScript files are ${kib(gzipped)} gzipped, over the portal budget of ${kib(PORTAL_JS_BUDGET_BYTES)}`)
  }
  return { files: js.length, gzipped }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, gzipped } = await buildWeb()
  console.log(`web console: ${files} JavaScript files, ${(gzipped / 1024).toFixed(1)} KiB gzipped (budget ${PORTAL_JS_BUDGET_BYTES / 1024} KiB)`)
}
