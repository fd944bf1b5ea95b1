/**
 * The package as users get it (API.md, SDK): `@hookrelay/sdk` and its four adapter entry points
 * resolve from the repository root after `npm install` (the root build makes sdk/dist), ESM with
 * .d.ts beside each, and no runtime dependency: what the SDK's modules import at run time is each
 * other, never a package or a Node built-in, so it runs in browsers, Deno, Bun and edge runtimes.
 * Needs the build (`npm run build`), as the process tests need dist/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const sdkDir = new URL('..', import.meta.url).pathname
const pkg = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? (d.name === 'generated' ? [] : sourceFiles(join(dir, d.name))) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [join(dir, d.name)] : [],
  )
}

/** Specifiers a module imports or re-exports at run time (`import type` and `export type` are erased). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^|\n)(?:import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/g)].filter((m) => m[1] === undefined).map((m) => m[2]!)
}

describe('@hookrelay/sdk package', () => {
  it('has no runtime dependency', () => {
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(Object.values<{ optional: boolean }>(pkg.peerDependenciesMeta).every((m) => m.optional)).toBe(true)
    const files = sourceFiles(join(sdkDir, 'src'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      for (const spec of runtimeImports(file)) expect(spec, `${file} imports ${spec}`).toMatch(/^\.\.?\//)
    }
  })

  it('the core uses no Node-only global', () => {
    const core = sourceFiles(join(sdkDir, 'src')).filter((f) => !/adapters\/(express|fastify)\.ts$/.test(f))
    // Comments may show Node usage (process.env in an example); code may not.
    const code = (file: string): string => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    for (const file of core) expect(code(file), file).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|from 'node:/)
  })

  it('resolves from the repository root with every entry point, each with its types', async () => {
    const entries = { '.': ['Hookrelay', 'HookrelayError', 'verifyWebhook', 'signWebhook', 'WebhookVerificationError'], './express': ['verifyWebhooks'], './fastify': ['verifyWebhooks'], './hono': ['verifyWebhooks'], './next': ['verifyWebhooks'] }
    expect(Object.keys(pkg.exports).filter((k) => k !== './package.json').sort()).toEqual(Object.keys(entries).sort())
    for (const [entry, names] of Object.entries(entries)) {
      const target = pkg.exports[entry]
      expect(existsSync(join(sdkDir, target.types)), `${entry} types (run npm run build)`).toBe(true)
      const mod = await import(entry === '.' ? '@hookrelay/sdk' : `@hookrelay/sdk/${entry.slice(2)}`)
      for (const name of names) expect(typeof mod[name], `${entry} exports ${name}`).toBe('function')
    }
  })
})
