/**
 * Next.js App Router route handlers (app/webhooks/route.ts):
 *
 *   export const POST = verifyWebhooks({ secret: process.env.HOOKRELAY_SECRET! })(async (event, request) => {
 *     return Response.json({ ok: true })
 *   })
 *
 * The wrapper reads the raw body from the Web `Request` (never `request.json()`, which would lose
 * the signed bytes), verifies it and calls the handler with the parsed event; a request that does
 * not verify is answered 401 and the handler never runs. Web APIs only, so it works in the Node.js
 * and the Edge runtimes alike.
 */
import { DEFAULT_MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, declaredTooLarge, tooLarge, verifyRequest, type Refusal, type VerifyWebhooksOptions } from './verify-request.js'

export type { VerifyWebhooksOptions }

/** A route handler that receives the verified event; `context` is Next's second argument (`{ params }`). */
export type WebhookHandler<C> = (event: unknown, request: Request, context: C) => Response | Promise<Response>

export function verifyWebhooks(options: VerifyWebhooksOptions) {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  return <C = unknown>(handler: WebhookHandler<C>) =>
    async (request: Request, context: C): Promise<Response> => {
      if (declaredTooLarge(request.headers.get('content-length'), limit)) return refuse(tooLarge(limit))
      const raw = new Uint8Array(await request.arrayBuffer())
      if (raw.length > limit) return refuse(tooLarge(limit))
      const result = verifyRequest(raw, request.headers, options)
      if ('refusal' in result) return refuse(result.refusal)
      return handler(result.event, request, context)
    }
}

const refuse = (refusal: Refusal): Response =>
  new Response(JSON.stringify(refusal.body), { status: refusal.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE } })
