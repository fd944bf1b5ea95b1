/**
 * Hono middleware: `app.post('/webhooks', verifyWebhooks({ secret }), (c) => { c.get('webhook'); ... })`.
 * It reads the raw body as bytes (Hono keeps it, so `c.req.json()` still works after), verifies it,
 * and sets the parsed event as `c.get('webhook')`. A request that does not verify is answered 401.
 * Web APIs only: runs on Node, Bun, Deno, Cloudflare Workers.
 */
import type { MiddlewareHandler } from 'hono'
import { DEFAULT_MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, declaredTooLarge, tooLarge, verifyRequest, type Refusal, type VerifyWebhooksOptions } from './verify-request.js'

export type { VerifyWebhooksOptions }

export type WebhookVariables = { webhook: unknown }

export function verifyWebhooks(options: VerifyWebhooksOptions): MiddlewareHandler<{ Variables: WebhookVariables }> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  return async (c, next) => {
    if (declaredTooLarge(c.req.header('content-length'), limit)) return refuse(tooLarge(limit))
    const raw = new Uint8Array(await c.req.arrayBuffer())
    if (raw.length > limit) return refuse(tooLarge(limit))
    const result = verifyRequest(raw, c.req.raw.headers, options)
    if ('refusal' in result) return refuse(result.refusal)
    c.set('webhook', result.event)
    await next()
    return undefined
  }
}

const refuse = (refusal: Refusal): Response =>
  new Response(JSON.stringify(refusal.body), { status: refusal.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE } })
