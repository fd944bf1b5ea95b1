// Publish: durable publishes/s to Hookrelay (202 = event stored) for a tenant with no endpoints,
// compared with the bare Fastify route measured in the same run.
import { runClosedLoop } from '../load.mjs'
import { publishBody } from '../payload.mjs'
import { TENANT, loadSummary } from '../harness.mjs'
import { round } from '../stats.mjs'
import { ratioRow } from '../report.mjs'

export async function publish(ctx) {
  const { cfg } = ctx
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('publish'), role: 'all', label: 'publish' })
  const api = ctx.adminApi(srv.url, cfg.concurrency)
  await api.createTenant(TENANT)
  const body = publishBody('bench.publish')
  const build = () => ({ path: `/v1/tenants/${TENANT}/events`, headers: api.authHeaders, body })
  await runClosedLoop({ pool: api.pool, concurrency: cfg.concurrency, durationMs: cfg.warmupMs, build, expect: [202], isAborted: ctx.isAborted })
  const r = await runClosedLoop({ pool: api.pool, concurrency: cfg.concurrency, durationMs: cfg.durationMs, build, expect: [202], isAborted: ctx.isAborted })
  const stop = await srv.stop()
  const base = ctx.baselines.bare
  return {
    value: r.okPerSec,
    details: { ...loadSummary(r), concurrency: cfg.concurrency, durationMs: cfg.durationMs, serverStop: stop, serverLog: srv.problems() },
    rows: [ratioRow({
      scenario: 'publish (no endpoints)', value: r.okPerSec, unit: 'publishes/s',
      baseline: base, baselineLabel: ctx.baselineLabel('bare'), target: 0.5,
      note: r.errors ? `${r.errors} failed publishes: ${JSON.stringify(r.statuses)}` : '',
    })],
  }
}
