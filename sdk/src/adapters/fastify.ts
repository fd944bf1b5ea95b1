/**
 * Fastify plugin. Register it inside the scope that holds your webhook routes:
 *
 *   app.register(async (hooks) => {
 *     await hooks.register(verifyWebhooks({ secret }))
 *     hooks.post('/webhooks', async (request) => { request.webhook; return { ok: true } })
 *   })
 *
 * In that scope (and only there: the rest of the app keeps its JSON parser) every body is read as
 * raw bytes, verified before the handler runs, and the parsed event is set as `request.webhook`
 * (and `request.body`). A request that does not verify is answered 401.
 */
import type { FastifyPluginAsync } from 'fastify'
import { DEFAULT_MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, verifyRequest, type VerifyWebhooksOptions } from './verify-request.js'

export type { VerifyWebhooksOptions }

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified webhook's parsed body, set by verifyWebhooks(). */
    webhook: unknown
  }
}

export function verifyWebhooks(options: VerifyWebhooksOptions): FastifyPluginAsync {
  const bodyLimit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const plugin: FastifyPluginAsync = async (scope) => {
    // Raw bytes for every content type; Fastify answers 413 past the limit itself.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body))
    if (!scope.hasRequestDecorator('webhook')) scope.decorateRequest('webhook', null)
    scope.addHook('preHandler', async (request, reply) => {
      const raw = request.body instanceof Uint8Array ? request.body : new Uint8Array(0)
      const result = verifyRequest(raw, request.headers, options)
      if ('refusal' in result) return reply.code(result.refusal.status).type(PROBLEM_CONTENT_TYPE).send(result.refusal.body)
      request.webhook = result.event
      request.body = result.event
    })
  }
  // Applies to the scope it is registered in rather than a child scope of its own (what the
  // fastify-plugin package sets), so the hook and the parser reach that scope's routes.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@hookrelay/sdk/fastify' })
  return plugin
}
