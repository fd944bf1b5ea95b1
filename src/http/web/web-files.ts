import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

/** One built file of the web console, read once and kept (the whole build is a few hundred KiB). */
export interface WebFile {
  body: Buffer
  /** The body gzipped, for text types worth it; null otherwise. */
  gzip: Buffer | null
  type: string
  etag: string
  /** Under assets/: its name carries a hash of its content, so it may be cached for good. */
  immutable: boolean
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Where the built console is: dist/web beside the bundled CLI (dist/hookrelay.js), or, when the
 * server runs from its sources (tests, tsx), dist/web at the package root. Null when neither has
 * an index.html (`npm run build` makes it).
 */
export function findWebRoot(): string | null {
  const candidates = [new URL('./web/', import.meta.url), new URL('../../../dist/web/', import.meta.url)]
  for (const url of candidates) {
    const dir = fileURLToPath(url)
    if (existsSync(join(dir, 'index.html'))) return dir
  }
  return null
}

/**
 * The console's files by their path under the root ('index.html', 'assets/index-3f2a.js'). Only
 * files listed here are ever served, so no request path can reach outside the build.
 */
export class WebFiles {
  private readonly names: Set<string>
  private readonly cache = new Map<string, WebFile>()

  constructor(private readonly root: string) {
    const entries = readdirSync(root, { recursive: true, withFileTypes: true })
    this.names = new Set(
      entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length).split(sep).join('/').replace(/^\//, '')),
    )
  }

  has(name: string): boolean {
    return this.names.has(name)
  }

  get(name: string): WebFile | null {
    if (!this.names.has(name)) return null
    let file = this.cache.get(name)
    if (file === undefined) {
      const body = readFileSync(join(this.root, ...name.split('/')))
      const type = TYPES[extname(name)] ?? 'application/octet-stream'
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024
      file = {
        body,
        gzip: compressible ? gzipSync(body, { level: 9 }) : null,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: name.startsWith('assets/'),
      }
      this.cache.set(name, file)
    }
    return file
  }
}
