// Fifo beside unordered endpoints (issue 15): an ordered endpoint gets one attempt at a time, and
// must not slow the others down. End to end as `e2e` (events round-robin over four endpoints, each
// subscribed to its own type, so every event makes one delivery), in two shapes measured side by
// side, alternating, each round on a fresh server: four unordered endpoints, and one fifo endpoint
// with three unordered ones. The figure compared is the rate of the three unordered endpoints'
// deliveries (the same 3/4 of the events in both shapes): from the first publish to the moment the
// sink has all of theirs (polled every 20 ms). The fifo endpoint's own rate is reported beside it.
import { now, sleep } from '../clock.mjs'
import { TENANT, publishMany, sinkUrl } from '../harness.mjs'
import { round } from '../stats.mjs'
import { benchDatabase } from '../postgres-db.mjs'
import { ratioRow } from '../report.mjs'

const ENDPOINTS = 4
const ROUNDS = 2
const POLL_MS = 20

async function oneRound(ctx, { fifo, store, label }) {
  const { cfg, sink } = ctx
  const databaseUrl = store === 'postgres' ? await benchDatabase(ctx, 'fifo') : null
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('fifo'), role: 'all', label, databaseUrl })
  try {
    const api = ctx.adminApi(srv.url, cfg.concurrency)
    await api.createTenant(TENANT)
    const prefix = fifo ? '/fifo-mixed' : '/fifo-plain'
    for (let i = 0; i < ENDPOINTS; i++) {
      // Endpoint 3 is the ordered one in the mixed shape.
      const body = { url: sinkUrl(sink, `${prefix}/${i}`), eventTypes: [`bench.fifo${i}`], ...(fifo && i === 3 ? { ordering: 'fifo' } : {}) }
      await api.call('POST', `/v1/tenants/${TENANT}/endpoints`, body, [201])
    }
    const typeOf = (seq) => `bench.fifo${seq % ENDPOINTS}`
    // A short warm-up to unordered endpoints only, then a clean sink.
    const warm = Math.min(600, Math.ceil(cfg.fifoEvents / 10))
    await publishMany({ api, n: warm, concurrency: cfg.concurrency, typeOf: (s) => `bench.fifo${s % 3}`, timeoutMs: 60_000, isAborted: ctx.isAborted })
    for (let t0 = now(); (await sink.call('stats')).count < warm && now() - t0 < 60_000; ) await sleep(50)
    await sink.call('reset')

    const perEndpoint = cfg.fifoEvents / ENDPOINTS
    const unorderedWanted = perEndpoint * 3
    const t0 = now()
    const pub = await publishMany({ api, n: cfg.fifoEvents, concurrency: cfg.concurrency, typeOf, timeoutMs: cfg.waitTimeoutMs, isAborted: ctx.isAborted })
    const publishedAt = now()
    let unorderedDoneAt = null
    let orderedDoneAt = null
    let stats
    for (;;) {
      stats = await sink.call('stats', { paths: true })
      const count = (i) => stats.paths?.[`${prefix}/${i}`] ?? 0
      const unordered = count(0) + count(1) + count(2)
      if (unorderedDoneAt === null && unordered >= unorderedWanted) unorderedDoneAt = now()
      if (orderedDoneAt === null && count(3) >= perEndpoint) orderedDoneAt = now()
      if ((unorderedDoneAt !== null && orderedDoneAt !== null) || ctx.isAborted() || now() - t0 > cfg.fifoLimitMs) break
      await sleep(POLL_MS)
    }
    const orderedCount = stats.paths?.[`${prefix}/3`] ?? 0
    await srv.stop()
    return {
      unorderedPerSec: unorderedDoneAt === null ? 0 : (unorderedWanted / (unorderedDoneAt - t0)) * 1000,
      endpoint3PerSec: (orderedCount / ((orderedDoneAt ?? now()) - t0)) * 1000,
      endpoint3Delivered: orderedCount,
      endpoint3Complete: orderedDoneAt !== null,
      publishPerSec: pub.okPerSec,
      msPublish: round(publishedAt - t0),
      publishErrors: pub.errors,
      duplicates: stats.duplicates,
    }
  } finally {
    await srv.stop().catch(() => {})
  }
}

/** `store`: 'sqlite' (default) or 'postgres'. */
export async function fifoBeside(ctx, { store = 'sqlite' } = {}) {
  const { cfg, log } = ctx
  const plain = []
  const mixed = []
  for (let r = 0; r < ROUNDS; r++) {
    for (const fifo of [false, true]) {
      const res = await oneRound(ctx, { fifo, store, label: `fifo bench ${fifo ? 'mixed' : 'plain'} ${r + 1}` })
      ;(fifo ? mixed : plain).push(res)
      log(`    round ${r + 1}, ${fifo ? '1 fifo + 3 unordered' : '4 unordered'}: unordered ${Math.round(res.unorderedPerSec)}/s, endpoint 3 ${Math.round(res.endpoint3PerSec)}/s (${res.endpoint3Delivered}${res.endpoint3Complete ? '' : ', incomplete'})`)
    }
  }
  const mean = (xs, k) => xs.reduce((n, x) => n + x[k], 0) / xs.length
  const plainRate = mean(plain, 'unorderedPerSec')
  const mixedRate = mean(mixed, 'unorderedPerSec')
  const fifoRate = mean(mixed, 'endpoint3PerSec')
  const note = `fifo endpoint ${Math.round(fifoRate)} deliveries/s one at a time` +
    `${mixed.some((m) => !m.endpoint3Complete) ? ` (did not finish within ${Math.round(cfg.fifoLimitMs / 1000)} s)` : ''}; ` +
    `rounds: 4 unordered ${plain.map((p) => Math.round(p.unorderedPerSec)).join(', ')}; mixed ${mixed.map((p) => Math.round(p.unorderedPerSec)).join(', ')}`
  return {
    value: mixedRate,
    details: { store, events: cfg.fifoEvents, rounds: ROUNDS, plain, mixed, plainRate: round(plainRate), mixedRate: round(mixedRate), fifoRate: round(fifoRate) },
    rows: [ratioRow({
      scenario: `unordered deliveries beside a fifo endpoint${store === 'postgres' ? ' on PostgreSQL' : ''} (1 fifo + 3 unordered vs 4 unordered, ${cfg.fifoEvents.toLocaleString('en-US')} events)`,
      value: mixedRate, unit: 'deliveries/s', baseline: plainRate, baselineLabel: '4 unordered endpoints, same run', target: 0.9, note,
      forceFail: mixed.some((m) => m.unorderedPerSec === 0),
    })],
  }
}
