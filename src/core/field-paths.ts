/**
 * Dot paths into a received webhook (API.md, Inbound sources): `data.object.id` walks the JSON
 * body, object keys are case-sensitive, and a numeric segment indexes an array (`items.0.sku`).
 * `$headers.<name>` reads a request header instead (GitHub's `X-GitHub-Event`), case-insensitively
 * as HTTP header names are.
 */

export interface PathSource {
  body: unknown
  /** Header names lowercased, as Node gives them. */
  headers: Record<string, string | string[] | undefined>
}

const HEADERS = '$headers.'

/** The value at `path`, or undefined when any segment is missing. Only own properties are read. */
export function readPath(src: PathSource, path: string): unknown {
  if (path.startsWith(HEADERS)) {
    const name = path.slice(HEADERS.length).toLowerCase()
    // Node's header object has Object.prototype: `$headers.constructor` must not read it.
    if (!Object.hasOwn(src.headers, name)) return undefined
    const v = src.headers[name]
    return Array.isArray(v) ? v[0] : v
  }
  let cur: unknown = src.body
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined
      cur = cur[Number(seg)]
    } else {
      if (!Object.hasOwn(cur, seg)) return undefined
      cur = (cur as Record<string, unknown>)[seg]
    }
  }
  return cur
}

/** Whether a path is well formed: `$headers.<name>`, or dot-separated non-empty segments. */
export function isValidPath(path: string): boolean {
  if (path.startsWith(HEADERS)) return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(path.slice(HEADERS.length))
  return path.length > 0 && path.length <= 256 && path.split('.').every((s) => s.length > 0)
}

/**
 * A value read at a path as an event time: an ISO 8601 string, or a Unix time in seconds (or in
 * milliseconds when it is too large to be seconds). Null when it is neither.
 */
export function asEventTime(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e11 ? Math.round(v * 1000) : Math.round(v)
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return asEventTime(Number(v))
    const t = Date.parse(v)
    return Number.isNaN(t) ? null : t
  }
  return null
}
