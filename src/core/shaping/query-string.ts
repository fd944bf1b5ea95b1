/**
 * Adds parameters to a URL's query. A parameter replaces those of the same name the URL already
 * has; the rest of the URL's query is kept as written. Names and values are percent-encoded
 * (RFC 3986), so a space is `%20` rather than the form-encoding `+`.
 */
export function withQueryParams(url: string, params: ReadonlyArray<readonly [string, string]>): string {
  if (params.length === 0) return url
  const hashAt = url.indexOf('#')
  const fragment = hashAt === -1 ? '' : url.slice(hashAt)
  const head = hashAt === -1 ? url : url.slice(0, hashAt)
  const qAt = head.indexOf('?')
  const base = qAt === -1 ? head : head.slice(0, qAt)
  const replaced = new Set(params.map(([k]) => k))
  const kept = qAt === -1 ? [] : head.slice(qAt + 1).split('&').filter((seg) => seg !== '' && !replaced.has(decodeName(seg)))
  const added = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
  return `${base}?${[...kept, ...added].join('&')}${fragment}`
}

function decodeName(segment: string): string {
  const eq = segment.indexOf('=')
  const raw = (eq === -1 ? segment : segment.slice(0, eq)).replace(/\+/g, ' ')
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/**
 * A JSON object's top-level fields as query parameters, for GET: strings as they are, numbers and
 * booleans as their JSON text, null as empty, objects and arrays JSON-encoded.
 */
export function fieldsAsParams(value: Record<string, unknown>): Array<[string, string]> {
  return Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v)])
}
