import zlib from 'node:zlib'
import type { JsonObject } from './model.js'
import { isCredentialName } from './credential-name.js'
import { REDACTED, redactHeaders } from './redact-headers.js'

/**
 * What a gateway route publishes about each request it proxies (API.md, Gateway routes), and the
 * header rules of a reverse proxy. Pure: the proxy (gateway/) does the I/O.
 */

/**
 * How the upstream answered, as the lifecycle events see it. `body` is what an event needs of the
 * answer: all of it, or its first 64 KiB and a byte (the proxy keeps no more of a long answer).
 * `broken` says an answer that was being passed on did not reach its end: the upstream fell
 * silent for the route's timeout (`timeout`) or failed (`upstream`), or the client went away
 * (`client`, and the upstream's request was aborted). `client_failed`: the client's own body
 * failed while it was being forwarded, past the body limit or cut short by the client going away
 * (the upstream's request is aborted, so it never sees a whole request).
 */
export type UpstreamOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string | string[]>; body: Buffer; broken?: BrokenBy }
  | { kind: 'timeout' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'client_failed'; reason: 'too_large' | 'gone' }

export type BrokenBy = 'timeout' | 'upstream' | 'client'

/** Bodies in event payloads are cut at this many bytes. */
export const EVENT_BODY_BYTES = 64 * 1024

/**
 * The events published once the upstream has answered (or not), in order: the outcome's own type,
 * `request.error` for anything but a 2xx, and `request.completed` always. An unreachable upstream
 * has no outcome type of its own: it is an error, and completed. So is an answer broken off on its
 * way to the client, whatever its status, unless the upstream's silence broke it: a timeout.
 */
export function lifecycleTypes(outcome: UpstreamOutcome): string[] {
  if (outcome.kind === 'timeout') return ['request.timeout', 'request.error', 'request.completed']
  if (outcome.kind === 'unreachable' || outcome.kind === 'client_failed') return ['request.error', 'request.completed']
  if (outcome.broken === 'timeout') return ['request.timeout', 'request.error', 'request.completed']
  if (outcome.broken !== undefined) return ['request.error', 'request.completed']
  const s = outcome.status
  if (s >= 200 && s < 300) return ['request.success', 'request.completed']
  const type = s >= 300 && s < 400 ? 'request.redirect' : s >= 400 && s < 500 ? 'request.client_error' : 'request.server_error'
  return [type, 'request.error', 'request.completed']
}

/**
 * The outcome as one word, for metrics and logs: the lifecycle type's suffix, `unreachable`, for
 * an answer broken off on its way `broken` (by the upstream) or `client_closed`, and for a client
 * body that failed `too_large` or `client_closed`.
 */
export function outcomeName(outcome: UpstreamOutcome): string {
  if (outcome.kind === 'unreachable') return 'unreachable'
  if (outcome.kind === 'client_failed') return outcome.reason === 'too_large' ? 'too_large' : 'client_closed'
  if (outcome.kind === 'response' && outcome.broken === 'upstream') return 'broken'
  if (outcome.kind === 'response' && outcome.broken === 'client') return 'client_closed'
  return lifecycleTypes(outcome)[0]!.slice('request.'.length)
}

/**
 * A body as an event carries it: decoded if its Content-Encoding is gzip, deflate or br; parsed
 * JSON when the content type says JSON and it parses, otherwise text; longer than 64 KiB, the
 * text cut there (a cut JSON document would not parse); an empty body is null. The bytes on the
 * wire are passed on as they are: only the event reads them decoded.
 */
export function eventBody(contentType: string | undefined, raw: Buffer, contentEncoding?: string): unknown {
  if (raw.length === 0) return null
  const bytes = decoded(raw, contentEncoding)
  if (typeof bytes === 'string') return bytes
  if (bytes.length > EVENT_BODY_BYTES) return bytes.subarray(0, EVENT_BODY_BYTES).toString('utf8')
  const text = bytes.toString('utf8')
  if (contentType !== undefined && isJsonType(contentType)) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }
  return text
}

/** Decoded bytes behind a gzip, deflate or br Content-Encoding, or a note saying why not. */
function decoded(raw: Buffer, encoding: string | undefined): Buffer | string {
  const e = encoding?.trim().toLowerCase()
  if (e === undefined || e === '' || e === 'identity') return raw
  // Decoding stops just past what an event keeps, so a small body that inflates to gigabytes (a
  // decompression bomb, sent by anyone to an open route) costs next to nothing.
  const limit = { maxOutputLength: EVENT_BODY_BYTES + 1 }
  try {
    if (e === 'gzip' || e === 'x-gzip') return zlib.gunzipSync(raw, limit)
    if (e === 'deflate') return zlib.inflateSync(raw, limit)
    if (e === 'br') return zlib.brotliDecompressSync(raw, limit)
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return `(a ${e}-encoded body over 64 KiB decoded)`
    return `(a ${e}-encoded body that could not be decoded)`
  }
  return `(a ${e}-encoded body)`
}

function isJsonType(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  return type === 'application/json' || type.endsWith('+json')
}

/** A query string as an object: repeated names become arrays, in order. */
export function queryObject(search: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of new URLSearchParams(search)) {
    const had = out[name]
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value]
  }
  return out
}

/** Headers that describe one connection, not the message (RFC 9110 7.6.1): a proxy never forwards them. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/**
 * The headers a proxy passes on, either way: without hop-by-hop headers, those the Connection
 * header names, and the ones in `drop` (the client's `host`, lengths the proxy recomputes).
 */
export function forwardableHeaders(headers: Record<string, string | string[] | undefined>, drop: readonly string[] = []): Record<string, string | string[]> {
  const named = new Set(drop)
  const connection = headers.connection
  for (const value of Array.isArray(connection) ? connection : connection === undefined ? [] : [connection]) {
    for (const token of value.split(',')) named.add(token.trim().toLowerCase())
  }
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (value === undefined || HOP_BY_HOP.has(lower) || named.has(lower)) continue
    out[lower] = value
  }
  return out
}

export interface ProxiedRequest {
  method: string
  /** The path after the route's prefix, from `/`. */
  path: string
  /** The query string without `?`. */
  search: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

const headerOf = (h: Record<string, string | string[] | undefined>, name: string) => {
  const v = h[name]
  return Array.isArray(v) ? v[0] : v
}

/**
 * A message's headers and body as an event shows them: the headers of the message (not
 * hop-by-hop) with credentials redacted, the body decoded and parsed or cut (eventBody).
 */
const messageView = (h: Record<string, string | string[] | undefined>, body: Buffer) => ({
  headers: redactHeaders(forwardableHeaders(h), null),
  body: eventBody(headerOf(h, 'content-type'), body, headerOf(h, 'content-encoding')),
})

/**
 * The request as every event of it carries it, worked out once: credentials in headers and in
 * query parameters redacted, the body decoded and parsed or cut (eventBody).
 */
export function requestView(request: ProxiedRequest): JsonObject {
  const query = queryObject(request.search)
  for (const name of Object.keys(query)) if (isCredentialName(name)) query[name] = REDACTED
  return { method: request.method, path: request.path, query, ...messageView(request.headers, request.body) }
}

/** The payload of every lifecycle event: `response` null until there is one. */
export function lifecyclePayload(route: string, request: JsonObject, outcome: UpstreamOutcome | null, durationMs: number): JsonObject {
  const response = outcome?.kind === 'response' ? { status: outcome.status, ...messageView(outcome.headers, outcome.body) } : null
  return { route, request, response, durationMs }
}
