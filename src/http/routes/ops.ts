import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'

const op = operations('ops')

const Unavailable = Type.Object({ status: Type.Literal('unavailable'), detail: Type.String() })

export const opsRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { metrics, deliveryProblem }) => {
  // 503 while this node's delivery machinery is broken (API.md, Running), so a load balancer or an
  // orchestrator stops sending it work, or restarts it, until it is back.
  app.get(
    '/healthz',
    {
      schema: {
        ...op('getHealth', 'Health check', 'Answers 200 {"status": "ok"} while this node can serve, and 503 {"status": "unavailable", "detail"} while its delivery machinery is broken (its sender thread being replaced). No token.'),
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }), 503: Unavailable },
      },
    },
    async (_req, reply) => {
      const problem = deliveryProblem()
      if (problem !== null) return reply.code(503).send({ status: 'unavailable' as const, detail: problem })
      return { status: 'ok' as const }
    },
  )

  app.get('/metrics', { schema: { ...op('getMetrics', 'Prometheus metrics', 'Metrics in the Prometheus text format. No token.'), security: [] } }, async (_req, reply) => {
    const text = await metrics.registry.metrics()
    return reply.type(metrics.registry.contentType).send(text)
  })
}
