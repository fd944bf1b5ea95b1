import type { AttemptRequest } from '../model.js'
import { VERSION } from '../../version.js'
import { signatureHeader } from '../signing/standard-webhooks.js'
import { renderBody, type OutboundEvent } from './payload-body.js'
import { maskCredentialHeaders } from './mask-header.js'
import { fieldsAsParams, withQueryParams } from './query-string.js'
import { renderTarget, type AuthHeader, type RequestShape } from './request-shape.js'
import { transientOf } from './templates.js'

export const USER_AGENT = `hookrelay/${VERSION}`

export type BuiltRequest =
  /** `logged` is `request` with the auth credential and credential-named headers masked; `envelope`: the body is the event's default envelope. */
  | { ok: true; request: AttemptRequest; logged: AttemptRequest; envelope: boolean }
  /**
   * A template failed: nothing is sent, and the attempt records what was known with error kind
   * `template`. `transient`: not the template's fault, so trying again may pass (it ran past its
   * wall-clock time limit, Rendered in templates.ts, or no render thread could take it); a delivery
   * retries it as it would a timeout.
   */
  | { ok: false; logged: AttemptRequest; message: string; transient?: true }

/**
 * The exact request of one attempt, shaped by the endpoint's settings and signed per Standard
 * Webhooks: `webhook-id` is the event id (the same on every attempt and endpoint, so receivers can
 * deduplicate), `webhook-timestamp` this attempt's time, one `v1,` signature per active secret.
 * A GET has no body: its fields go in the query, and the signature covers the query string as sent.
 */
export function buildOutboundRequest(args: {
  shape: RequestShape
  event: OutboundEvent
  secrets: readonly string[]
  nowMs: number
  /** Hears of each template just before it is rendered, by its index in templatePaths. */
  onField?: (index: number) => void
}): BuiltRequest {
  const { shape, event } = args
  const get = shape.method === 'GET'
  const fail = (url: string, message: string, transient?: { transient?: true }): BuiltRequest => ({ ok: false, logged: { method: shape.method, url, headers: {}, body: '' }, message, ...transient })
  const target = renderTarget(shape, args.onField)
  if (!target.ok) return fail(shape.url.source, `${target.path.slice(1)} ${target.message}`, transientOf(target))
  if (shape.body !== null) args.onField?.(shape.headers.length + 1)
  const rendered = renderBody({
    event,
    settings: shape.payload,
    template: shape.body,
    endpoint: shape.endpoint,
    tenant: shape.tenant,
    wantValue: get,
    maxBytes: shape.maxOutputBytes,
  })
  if (!rendered.ok) return fail(target.url, rendered.message, transientOf(rendered))
  let url = withQueryParams(target.url, shape.queryParams)
  let body = rendered.body
  let signed = body
  if (get) {
    const v = rendered.value
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(url, 'a GET request needs the body to be a JSON object, whose fields become the query')
    // Normalized as the sender will send it, so the signed query string is byte for byte the one on the wire.
    const sent = new URL(withQueryParams(url, fieldsAsParams(v as Record<string, unknown>)))
    url = sent.href
    signed = sent.search.slice(1)
    body = ''
  } else if (url !== target.url || shape.url.template !== null) {
    url = new URL(url).href
  }
  const ts = Math.floor(args.nowMs / 1000)
  const headers: Record<string, string> = {}
  if (!get) headers['content-type'] = shape.payload.format === 'json' ? 'application/json' : 'text/plain'
  headers['user-agent'] = USER_AGENT
  for (const [name, value] of target.headers) headers[name.toLowerCase()] = value
  const common = {
    'webhook-id': event.id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signatureHeader(args.secrets, event.id, ts, signed),
  }
  const auth = shape.auth
  const sent = auth === null ? { ...headers, ...common } : { ...headers, [auth.name.toLowerCase()]: auth.value, ...common }
  const request: AttemptRequest = { method: shape.method, url, headers: sent, body }
  return { ok: true, request, logged: { ...request, headers: loggedHeaders(sent, auth) }, envelope: rendered.envelope }
}

/**
 * The headers as the attempt log keeps them (API.md, Endpoints): the auth header's value masked
 * whatever its name, and every header whose name reads as a credential (isCredentialName, the rule
 * of the inbound logs) masked too: custom ones, also those rendered from tenant or endpoint
 * metadata, and webhook-signature, which anyone reading the log could otherwise replay within the
 * receiver's tolerance without being able to read the signing secret.
 */
function loggedHeaders(sent: Record<string, string>, auth: AuthHeader | null): Record<string, string> {
  return maskCredentialHeaders(auth === null ? sent : { ...sent, [auth.name.toLowerCase()]: auth.masked })
}
