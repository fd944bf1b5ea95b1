import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MAX_SERIES_BUCKETS, SERIES_BUCKETS } from '../../core/stats-series.js'
import { notFound } from '../../errors.js'
import { attemptSeries, type SeriesQuery } from '../../services/stats-series.js'
import type { AppDeps } from '../app.js'
import { operations } from '../openapi.js'
import { parseTime } from '../parse-time.js'

const Iso = Type.String({ format: 'date-time' })
const Ms = Type.Union([Type.Integer(), Type.Null()])

const SeriesIn = Type.Object({
  since: Type.Optional(Type.String({ description: 'ISO 8601; default 24 hours before `until`. The first bucket is the one holding it.' })),
  until: Type.Optional(Type.String({ description: 'ISO 8601, exclusive; default now. The last bucket is the one holding the instant before it.' })),
  bucket: Type.Optional(Type.Union(Object.keys(SERIES_BUCKETS).map((b) => Type.Literal(b)), { description: 'The bucket length; default 1h.' })),
})

const SeriesOut = Type.Object({
  bucket: Type.String(),
  data: Type.Array(
    Type.Object({
      start: Iso,
      attempts: Type.Integer({ description: 'Attempts that started in the bucket.' }),
      succeeded: Type.Integer(),
      failed: Type.Integer(),
      avgResponseMs: Type.Union([Type.Number(), Type.Null()], { description: 'Over the attempts that got a response; null when none did.' }),
      p95ResponseMs: Ms,
    }),
  ),
})

const DESCRIPTION = `One item per bucket from the one holding \`since\` to the one before \`until\`, empty buckets included (zeros, null times), aligned to the UTC clock; each counts the attempts that started in it. At most ${MAX_SERIES_BUCKETS} buckets (else 422 \`series_too_long\`).`

type RawQuery = { since?: string; until?: string; bucket?: string }

function readQuery(q: RawQuery): SeriesQuery {
  return {
    ...(q.since !== undefined ? { since: parseTime(q.since, '/query/since') } : {}),
    ...(q.until !== undefined ? { until: parseTime(q.until, '/query/until') } : {}),
    ...(q.bucket !== undefined ? { bucket: q.bucket as keyof typeof SERIES_BUCKETS } : {}),
  }
}

const present = (s: Awaited<ReturnType<typeof attemptSeries>>) => ({
  bucket: s.bucket,
  data: s.data.map((r) => ({ ...r, start: new Date(r.start).toISOString() })),
})

/** The health charts' series (API.md, "Endpoints"): an endpoint's and a tenant's. Portal tokens read them. */
export const statsSeriesRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { store, endpoints }) => {
  app.get(
    '/v1/tenants/:tenantId/endpoints/:endpointId/stats/series',
    {
      schema: {
        ...operations('endpoints')('getEndpointStatsSeries', "Get an endpoint's attempts over time", DESCRIPTION, ['series_too_long']),
        params: Type.Object({ tenantId: Type.String(), endpointId: Type.String() }),
        querystring: SeriesIn,
        response: { 200: SeriesOut },
      },
    },
    async (req) => {
      const { tenantId, endpointId } = req.params
      const q = readQuery(req.query)
      await endpoints.get(tenantId, endpointId)
      return present(await attemptSeries(store, { tenantId, endpointId }, q, Date.now()))
    },
  )

  app.get(
    '/v1/tenants/:tenantId/stats/series',
    {
      schema: {
        ...operations('tenants')('getTenantStatsSeries', "Get a tenant's attempts over time", `Every endpoint of the tenant together. ${DESCRIPTION}`, ['series_too_long']),
        params: Type.Object({ tenantId: Type.String() }),
        querystring: SeriesIn,
        response: { 200: SeriesOut },
      },
    },
    async (req) => {
      const { tenantId } = req.params
      const q = readQuery(req.query)
      if (!(await store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
      return present(await attemptSeries(store, { tenantId }, q, Date.now()))
    },
  )
}
