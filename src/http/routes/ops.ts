import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'

const Unavailable = Type.Object({ status: Type.Literal('unavailable'), detail: Type.String() })

export const opsRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { metrics, deliveryProblem }) => {
  // 503 while this node's delivery machinery is broken (API.md, Running), so a load balancer or an
  // orchestrator stops sending it work, or restarts it, until it is back.
  app.get(
    '/healthz',
    { schema: { tags: ['ops'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: Unavailable } } },
    async (_req, reply) => {
      const problem = deliveryProblem()
      if (problem !== null) return reply.code(503).send({ status: 'unavailable' as const, detail: problem })
      return { status: 'ok' as const }
    },
  )

  app.get('/metrics', { schema: { tags: ['ops'], security: [] } }, async (_req, reply) => {
    const text = await metrics.registry.metrics()
    return reply.type(metrics.registry.contentType).send(text)
  })
}
