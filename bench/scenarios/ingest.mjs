// Ingest: verified inbound webhooks/s at `POST /in/{sourceId}` for a Stripe-signed 2 KiB body,
// compared with the bare Fastify route taking the same body. Interleaved like `publish`:
// `BENCH_ROUNDS` rounds of (bare, ingest, ingest + publish), each a share of `BENCH_DURATION_MS`.
// Two sources: one that verifies, logs and answers (the ingest itself), and one whose mapping also
// publishes every event into the tenant's outbound pipeline (a durable publish per request).
import { createHmac } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { forkHelper } from '../child.mjs'
import { runClosedLoop } from '../load.mjs'
import { paddedPayload } from '../payload.mjs'
import { TENANT } from '../harness.mjs'
import { round, usPer } from '../stats.mjs'
import { processCpuMs } from '../server.mjs'
import { ratioRow } from '../report.mjs'

const SECRET = 'whsec_bench_stripe_0123456789abcdef'
const BODY = JSON.stringify({ id: 'evt_bench', object: 'event', type: 'invoice.paid', created: 1767323045, data: { object: paddedPayload({ id: 'in_bench' }, 1951) } })

/** Stripe-Signature for BODY at this second, as Stripe computes it: HMAC-SHA256 of `{t}.{body}` keyed by the whole secret. */
function stripeHeaders() {
  const t = Math.floor(Date.now() / 1000)
  const v1 = createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex')
  return { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` }
}

export async function ingest(ctx) {
  const { cfg } = ctx
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('ingest'), role: 'all', label: 'ingest' })
  const api = ctx.adminApi(srv.url, cfg.concurrency)
  await api.createTenant(TENANT)
  const source = (body) => api.call('POST', `/v1/tenants/${TENANT}/sources`, body, [201])
  const plain = await source({ name: 'stripe', verification: { type: 'stripe', secret: SECRET }, eventTypePath: 'type' })
  const publishing = await source({
    name: 'stripe-publish', verification: { type: 'stripe', secret: SECRET }, eventTypePath: 'type', timestampPath: 'created',
    mappings: [{ eventType: 'invoice.paid', action: 'publish', publishAs: 'billing.invoice_paid', fields: { invoice: 'data.object' } }],
  })
  const bare = await forkHelper(fileURLToPath(new URL('../bare-fastify.mjs', import.meta.url)))
  ctx.onCleanup(() => bare.stop())
  const barePool = ctx.pool(`http://127.0.0.1:${bare.port}`, cfg.concurrency)

  // The signature is made once per phase (a phase is far shorter than Stripe's 5-minute tolerance),
  // so the client spends its CPU on sending, as a real sender that signs once per event would.
  let headers = stripeHeaders()
  const sides = {
    bare: { pool: barePool, path: '/ingest', expect: [202] },
    ingest: { pool: api.pool, path: `/in/${plain.id}`, expect: [202] },
    publish: { pool: api.pool, path: `/in/${publishing.id}`, expect: [202] },
  }
  const phase = (side, durationMs) => {
    headers = stripeHeaders()
    const s = sides[side]
    return runClosedLoop({
      pool: s.pool, build: () => ({ path: s.path, headers, body: BODY }), concurrency: cfg.concurrency, durationMs, expect: s.expect, isAborted: ctx.isAborted,
    })
  }
  for (const side of Object.keys(sides)) await phase(side, cfg.warmupMs)
  const rounds = Math.max(1, cfg.rounds)
  const each = Math.max(500, Math.round(cfg.durationMs / rounds))
  // CPU is read from the process that answers each side: Hookrelay's for its sides, the bare route's for bare.
  const totals = Object.fromEntries(Object.keys(sides).map((k) => [k, { ok: 0, ms: 0, errors: 0, cpuMs: 0 }]))
  const cpuOf = (side) => (side === 'bare' ? processCpuMs(bare.pid) : srv.cpuMs())
  const errorSamples = []
  const perRound = []
  for (let i = 0; i < rounds && !ctx.isAborted(); i++) {
    const r = {}
    for (const side of Object.keys(sides)) {
      const cpu0 = cpuOf(side)
      r[side] = await phase(side, each)
      // Each process idles through the other's phases: its CPU in its own is its cost per request.
      totals[side].cpuMs += cpuOf(side) - cpu0
      totals[side].ok += r[side].ok
      totals[side].ms += r[side].elapsedMs
      totals[side].errors += r[side].errors
      errorSamples.push(...r[side].errorSamples)
    }
    perRound.push({ bare: round(r.bare.okPerSec), ingest: round(r.ingest.okPerSec), publish: round(r.publish.okPerSec) })
  }
  const logs = await api.call('GET', `/v1/tenants/${TENANT}/sources/${plain.id}/logs?limit=1`, undefined, [200])
  const stop = await srv.stop()
  const perSec = (k) => (totals[k].ok / totals[k].ms) * 1000
  const cpuUsPer = (k) => usPer(totals[k].cpuMs, totals[k].ok)
  if (totals.bare.ok === 0) throw new Error(`bare Fastify answered nothing: ${errorSamples.join(' | ')}`)
  const errors = totals.ingest.errors + totals.publish.errors
  const note = (k) =>
    [`${rounds} interleaved rounds, per-round ratios ${perRound.map((r) => (r[k] / r.bare).toFixed(2)).join(', ')}`, `server CPU ${cpuUsPer(k)} us per request, bare Fastify ${cpuUsPer('bare')} us`, errors ? `${errors} failed: ${errorSamples[0] ?? ''}` : '']
      .filter(Boolean)
      .join('; ')
  return {
    value: perSec('ingest'),
    details: {
      concurrency: cfg.concurrency, rounds, msPerPhase: each, perRound, serverCpuUsPerIngest: cpuUsPer('ingest'), serverCpuUsPerIngestAndPublish: cpuUsPer('publish'), bareCpuUsPerRequest: cpuUsPer('bare'), bodyBytes: BODY.length, errorSamples: errorSamples.slice(0, 5),
      lastLogStatus: logs?.data?.[0]?.status ?? null, serverStop: stop, serverLog: srv.problems(),
    },
    rows: [
      ratioRow({ scenario: 'ingest (Stripe-signed 2 KiB, verify + log)', value: perSec('ingest'), unit: 'ingests/s', baseline: perSec('bare'), baselineLabel: 'bare Fastify, interleaved', target: 0.5, note: note('ingest') }),
      ratioRow({ scenario: 'ingest + publish mapping (informational)', value: perSec('publish'), unit: 'ingests/s', baseline: perSec('bare'), baselineLabel: 'bare Fastify, interleaved', target: 0.5, note: note('publish') }),
    ],
  }
}
