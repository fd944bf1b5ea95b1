// Request bodies: 1 KiB JSON payloads, and Standard Webhooks signing for the raw-limit sender.
import { createHmac, randomBytes } from 'node:crypto'

export const PAYLOAD_BYTES = 1024

/** An object whose JSON serialization is exactly `bytes` long: `extra` fields plus a `pad` string. */
export function paddedPayload(extra = {}, bytes = PAYLOAD_BYTES) {
  const base = JSON.stringify({ ...extra, pad: '' }).length
  return { ...extra, pad: 'x'.repeat(Math.max(0, bytes - base)) }
}

/** The body of `POST /v1/tenants/{t}/events`: `{"type", "payload"}` with a 1 KiB payload (or `bytes`). */
export function publishBody(type, extra = {}, bytes = PAYLOAD_BYTES) {
  return JSON.stringify({ type, payload: paddedPayload(extra, bytes) })
}

const secretBytes = randomBytes(32)
export const RAW_SECRET = `whsec_${secretBytes.toString('base64')}`
const FIXED_PAYLOAD = JSON.stringify(paddedPayload())

/**
 * What a webhook sender puts on the wire for one delivery, computed per request the way a real
 * sender does: the default Hookrelay envelope `{"id","type","timestamp","data"}` around the same
 * 1 KiB payload the other scenarios publish, and `webhook-id` / `webhook-timestamp` /
 * `webhook-signature` (v1, base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`).
 */
export function signedDelivery(seq) {
  const id = `msg_bench${seq}`
  const ts = Math.floor(Date.now() / 1000)
  const body = `{"id":"${id}","type":"bench.raw","timestamp":"${new Date().toISOString()}","data":${FIXED_PAYLOAD}}`
  const signature = createHmac('sha256', secretBytes).update(`${id}.${ts}.${body}`).digest('base64')
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'hookrelay-bench/raw',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': `v1,${signature}`,
    },
    body,
  }
}
