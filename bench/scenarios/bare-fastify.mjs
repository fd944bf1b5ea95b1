// Bare Fastify: the same 1 KiB publish body POSTed to a bare Fastify JSON route in its own process.
// The baseline for the publish rate.
import { fileURLToPath } from 'node:url'
import { forkHelper } from '../child.mjs'
import { runClosedLoop } from '../load.mjs'
import { publishBody } from '../payload.mjs'
import { loadSummary } from '../harness.mjs'
import { round } from '../stats.mjs'

export async function bareFastify(ctx) {
  const { cfg } = ctx
  const helper = await forkHelper(fileURLToPath(new URL('../bare-fastify.mjs', import.meta.url)))
  ctx.onCleanup(() => helper.stop())
  const pool = ctx.pool(`http://127.0.0.1:${helper.port}`, cfg.concurrency)
  const body = publishBody('bench.publish')
  const build = () => ({ path: '/ingest', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body })
  await runClosedLoop({ pool, concurrency: cfg.concurrency, durationMs: cfg.warmupMs, build, expect: [202], isAborted: ctx.isAborted })
  const r = await runClosedLoop({ pool, concurrency: cfg.concurrency, durationMs: cfg.durationMs, build, expect: [202], isAborted: ctx.isAborted })
  if (r.ok === 0) throw new Error(`no request succeeded: ${r.errorSamples.join(' | ')}`)
  return {
    value: r.okPerSec,
    details: { ...loadSummary(r), concurrency: cfg.concurrency, durationMs: cfg.durationMs },
    rows: [{ scenario: 'bare Fastify', measured: `${Math.round(r.okPerSec).toLocaleString('en-US')} req/s`, value: round(r.okPerSec), unit: 'req/s' }],
  }
}
