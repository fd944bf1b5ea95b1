import type { AttemptRequest } from './model.js'
import { VERSION } from '../version.js'
import { signatureHeader } from './signing/standard-webhooks.js'

export const USER_AGENT = `hookrelay/${VERSION}`

/** The event as a delivery needs it. `payloadJson` is the stored JSON text of the payload. */
export interface OutboundEvent {
  id: string
  type: string
  occurredAt: number
  payloadJson: string
}

/**
 * The default body: `{"id","type","timestamp","data"}`. Built by concatenation because the payload
 * is already JSON text; parsing and re-serializing it on every attempt would be wasted work.
 */
export function defaultBody(ev: OutboundEvent): string {
  return `{"id":${JSON.stringify(ev.id)},"type":${JSON.stringify(ev.type)},"timestamp":"${new Date(ev.occurredAt).toISOString()}","data":${ev.payloadJson}}`
}

/**
 * The exact request of one attempt, signed per Standard Webhooks: `webhook-id` is the event id (the
 * same on every attempt and endpoint, so receivers can deduplicate), `webhook-timestamp` this
 * attempt's time, one `v1,` signature per active secret.
 */
export function buildOutboundRequest(args: {
  url: string
  event: OutboundEvent
  secrets: readonly string[]
  nowMs: number
}): AttemptRequest {
  const body = defaultBody(args.event)
  const ts = Math.floor(args.nowMs / 1000)
  return {
    method: 'POST',
    url: args.url,
    headers: {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': args.event.id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signatureHeader(args.secrets, args.event.id, ts, body),
    },
    body,
  }
}
