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
 * The default Hookrelay envelope `{"id","type","timestamp","data"}` around `dataJson`, and its
 * `webhook-id` / `webhook-timestamp` / `webhook-signature` (v1, base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}`), computed per call as a real sender does.
 */
export function signedEnvelope(key, id, type, atMs, dataJson) {
  const ts = String(Math.floor(atMs / 1000))
  const body = `{"id":"${id}","type":${JSON.stringify(type)},"timestamp":"${new Date(atMs).toISOString()}","data":${dataJson}}`
  const signature = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')
  return { body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${signature}` } }
}

/**
 * What a webhook sender puts on the wire for one delivery: the signed envelope around the same
 * 1 KiB payload the other scenarios publish.
 */
export function signedDelivery(seq) {
  const d = signedEnvelope(secretBytes, `msg_bench${seq}`, 'bench.raw', Date.now(), FIXED_PAYLOAD)
  d.headers['user-agent'] = 'hookrelay-bench/raw'
  return d
}
