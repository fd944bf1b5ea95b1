import type { JsonObject, PayloadSettings } from '../model.js'
import { renderTemplate, transientOf, type CompiledTemplate } from './templates.js'

export const DEFAULT_PAYLOAD: PayloadSettings = {
  format: 'json',
  template: null,
  extraFields: {},
  includeRequestBody: true,
  includeResponseBody: true,
  includeHeaders: false,
  includeStatusCode: true,
}

/** The event as a delivery needs it. `payloadJson` is the stored JSON text of the payload. */
export interface OutboundEvent {
  id: string
  type: string
  occurredAt: number
  payloadJson: string
}

/** What templates see besides the event: `endpoint` and `tenant`, each `{id, name, metadata}`. */
export interface Owner {
  id: string
  name: string
  metadata: JsonObject
}

/**
 * The default body: `{"id","type","timestamp","data"}`. Built by concatenation because the payload
 * is already JSON text; parsing and re-serializing it on every attempt would be wasted work.
 */
export function defaultBody(ev: OutboundEvent): string {
  return `{"id":${JSON.stringify(ev.id)},"type":${JSON.stringify(ev.type)},"timestamp":"${new Date(ev.occurredAt).toISOString()}","data":${ev.payloadJson}}`
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Whether a payload is shaped like the gateway's `request.*` events (API.md, Gateway routes:
 * `{route, request: {method, path, query, headers, body}, response: {status, headers, body} | null,
 * durationMs}`): the `include*` options apply to those only, never to other events that happen to
 * have a `request` field.
 */
const gatewayShaped = (type: string, data: JsonObject): boolean =>
  isObject(data.request) && (type.startsWith('request.') || (typeof data.route === 'string' && 'durationMs' in data))

/**
 * Removes what the endpoint's `include*` options leave out of a gateway-shaped payload: the fields
 * are absent, not null. Returns the same text when nothing is removed, so most payloads are not parsed.
 */
export function prunePayload(type: string, payloadJson: string, s: PayloadSettings): string {
  if (s.includeRequestBody && s.includeResponseBody && s.includeHeaders && s.includeStatusCode) return payloadJson
  if (!type.startsWith('request.') && !payloadJson.includes('"durationMs"')) return payloadJson
  const data = JSON.parse(payloadJson) as unknown
  if (!isObject(data) || !gatewayShaped(type, data)) return payloadJson
  let removed = false
  const drop = (o: unknown, key: string, keep: boolean) => {
    if (!keep && isObject(o) && key in o) {
      delete o[key]
      removed = true
    }
  }
  drop(data.request, 'body', s.includeRequestBody)
  drop(data.request, 'headers', s.includeHeaders)
  drop(data.response, 'body', s.includeResponseBody)
  drop(data.response, 'headers', s.includeHeaders)
  drop(data.response, 'status', s.includeStatusCode)
  return removed ? JSON.stringify(data) : payloadJson
}

export type RenderedBody =
  /** `value`: the body as a JSON value when the format is json (GET turns its fields into the query). */
  | { ok: true; body: string; value?: unknown; envelope: boolean }
  /** `transient`: as Rendered's (templates.ts). */
  | { ok: false; message: string; transient?: true }

/**
 * The body of one request: the default envelope or the rendered template, with `extraFields`
 * merged over a JSON object. A JSON body must be valid JSON; failures are data (error kind
 * `template` on the attempt), never exceptions.
 */
export function renderBody(args: {
  event: OutboundEvent
  settings: PayloadSettings
  template: CompiledTemplate | null
  endpoint: Owner
  tenant: Owner
  /** The JSON value is wanted even when the text could be sent as it is (GET). */
  wantValue: boolean
  /** What the template may output at most (HOOKRELAY_MAX_PAYLOAD_BYTES). Default 1 MiB. */
  maxBytes?: number
}): RenderedBody {
  const { event, settings: s } = args
  const payloadJson = prunePayload(event.type, event.payloadJson, s)
  const extra = Object.keys(s.extraFields).length > 0
  const json = s.format === 'json'
  if (args.template === null && !extra && !args.wantValue) {
    return { ok: true, body: defaultBody({ ...event, payloadJson }), envelope: payloadJson === event.payloadJson }
  }
  const data = JSON.parse(payloadJson) as unknown
  const timestamp = new Date(event.occurredAt).toISOString()
  let text: string
  let value: unknown
  if (args.template === null) {
    value = { id: event.id, type: event.type, timestamp, data }
    text = JSON.stringify(value)
  } else {
    const context = { event: { id: event.id, type: event.type, timestamp, data }, endpoint: args.endpoint, tenant: args.tenant }
    const rendered = renderTemplate(args.template, context, args.maxBytes)
    if (!rendered.ok) return { ok: false, message: `template failed to render: ${rendered.message}`, ...transientOf(rendered) }
    text = rendered.text
    if (!json) return { ok: true, body: text, envelope: false }
    try {
      value = JSON.parse(text)
    } catch (e) {
      return { ok: false, message: `template did not render valid JSON: ${(e as Error).message}` }
    }
  }
  if (!json) return { ok: true, body: text, envelope: false }
  if (extra) {
    if (!isObject(value)) return { ok: false, message: 'extraFields need the body to be a JSON object' }
    value = { ...value, ...s.extraFields }
    text = JSON.stringify(value)
  }
  return { ok: true, body: text, value, envelope: false }
}
