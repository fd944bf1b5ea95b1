import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type ResourceLimits } from 'node:worker_threads'

/**
 * Starts a worker thread on the entry `./<name>.ts` beside `from` (the caller's import.meta.url) when
 * running from sources (tests, tsx), or `./<name>.js` beside the bundle when built: every bundled
 * module shares the bundle's import.meta.url, and scripts/build.mjs emits each worker entry beside it.
 *
 * Node 20 applies no `--import` hook to a worker's entry file, so from sources a small bootstrap
 * registers tsx first.
 */
export function startWorker(from: string, name: string, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), { workerData, resourceLimits })
  // The package's ESM entry (require.resolve would pick its CommonJS one, which cannot register hooks).
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const entry = new URL(`./${name}.ts`, from).href
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits })
}
