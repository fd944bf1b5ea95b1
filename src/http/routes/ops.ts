import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { AppDeps } from '../app.js'

export const opsRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { metrics }) => {
  app.get('/healthz', { schema: { tags: ['ops'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }))

  app.get('/metrics', { schema: { tags: ['ops'], security: [] } }, async (_req, reply) => {
    const text = await metrics.registry.metrics()
    return reply.type(metrics.registry.contentType).send(text)
  })
}
