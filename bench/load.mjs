// HTTP load generation with undici: closed-loop (bounded concurrency, as fast as possible) and
// open-loop (a steady rate). Every run is bounded by a request count and by a wall-clock limit.
import { Pool } from 'undici'
import { now, sleep } from './clock.mjs'

export function makePool(origin, connections = 64) {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    connectTimeout: 10_000,
  })
}

/**
 * Closed loop: `concurrency` workers each send one request, wait for the answer, repeat, until
 * `durationMs` has passed or `maxRequests` were sent (whichever first), or `timeoutMs` hard limit.
 * `build(seq)` returns {method?, path, headers, body}. `onResponse(status, text, seq)` gets the
 * body text when given (otherwise bodies are discarded unread, except the first few error bodies).
 */
export async function runClosedLoop({
  pool, concurrency = 64, durationMs = Infinity, maxRequests = Infinity, timeoutMs = 300_000,
  build, expect = [200, 201, 202, 204], onResponse = null, maxErrors = 1000, isAborted = () => false,
}) {
  if (!Number.isFinite(durationMs) && !Number.isFinite(maxRequests)) throw new Error('runClosedLoop needs a bound')
  const start = now()
  const end = start + Math.min(durationMs, timeoutMs)
  let issued = 0
  let completed = 0
  let ok = 0
  let errors = 0
  let lastDone = start
  let stop = false
  let timedOut = false
  const statuses = {}
  const samples = []
  const note = (s) => { if (samples.length < 5) samples.push(s) }

  async function worker() {
    while (!stop) {
      if (issued >= maxRequests) break
      if (now() >= end) { if (!Number.isFinite(durationMs) || durationMs > timeoutMs) timedOut = true; break }
      if (isAborted()) { timedOut = true; break }
      const seq = issued++
      const req = build(seq)
      try {
        const res = await pool.request({ method: req.method ?? 'POST', path: req.path, headers: req.headers, body: req.body })
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
        const good = expect.includes(res.statusCode)
        if (onResponse || !good) {
          const text = await res.body.text()
          if (!good) note(`HTTP ${res.statusCode} ${req.method ?? 'POST'} ${req.path}: ${text.slice(0, 300)}`)
          if (onResponse) onResponse(res.statusCode, text, seq)
        } else {
          await res.body.dump()
        }
        if (good) ok++
        else if (++errors >= maxErrors) stop = true
      } catch (err) {
        statuses[err.code ?? 'error'] = (statuses[err.code ?? 'error'] ?? 0) + 1
        note(`${err.code ?? ''} ${err.message}`)
        if (++errors >= maxErrors) stop = true
      }
      completed++
      lastDone = now()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = lastDone - start
  return {
    start, end: lastDone, elapsedMs, completed, ok, errors, statuses, errorSamples: samples,
    stoppedOnErrors: errors >= maxErrors, timedOut,
    okPerSec: elapsedMs > 0 ? (ok / elapsedMs) * 1000 : 0,
  }
}

/**
 * Open loop: request i is due at `start + i / rate` seconds, whether or not earlier ones have
 * answered (up to `maxInFlight`; beyond that a request is counted as skipped, never queued).
 * `gate` (a promise) holds due requests until it resolves: they still count from their due time.
 * `build(seq, dueAt)` is called at the moment of sending. Returns per-request timings.
 */
export async function runOpenLoop({
  pool, rate, durationMs, build, gate = null, maxInFlight = 2_000, settleTimeoutMs = 30_000,
  expect = [200, 201, 202, 204], isAborted = () => false, start = now(),
}) {
  const total = Math.floor((rate * durationMs) / 1000)
  const interval = 1000 / rate
  const results = new Array(total)
  const inflight = new Set()
  const statuses = {}
  const samples = []
  let skipped = 0
  let gateOpen = gate === null
  if (gate) gate.then(() => { gateOpen = true }, () => {})

  const send = async (seq, dueAt) => {
    let sentAt = null
    try {
      if (!gateOpen) await gate
      sentAt = now()
      const req = build(seq, dueAt)
      const res = await pool.request({ method: req.method ?? 'POST', path: req.path, headers: req.headers, body: req.body })
      const good = expect.includes(res.statusCode)
      if (good) await res.body.dump()
      else if (samples.length < 5) samples.push(`HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`)
      else await res.body.dump()
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
      results[seq] = { dueAt, sentAt, doneAt: now(), status: res.statusCode, ok: good }
    } catch (err) {
      statuses[err.code ?? 'error'] = (statuses[err.code ?? 'error'] ?? 0) + 1
      if (samples.length < 5) samples.push(`${err.code ?? ''} ${err.message}`)
      results[seq] = { dueAt, sentAt, doneAt: now(), status: err.code ?? 'error', ok: false }
    }
  }

  let seq = 0
  while (seq < total && !isAborted()) {
    const dueAt = start + seq * interval
    const wait = dueAt - now()
    if (wait > 0.5) await sleep(wait)
    const t = now()
    while (seq < total && start + seq * interval <= t) {
      const due = start + seq * interval
      if (inflight.size >= maxInFlight) {
        skipped++
        results[seq] = { dueAt: due, skipped: true, ok: false }
      } else {
        const p = send(seq, due)
        inflight.add(p)
        p.finally(() => inflight.delete(p))
      }
      seq++
    }
  }
  const settled = await Promise.race([
    Promise.allSettled([...inflight]).then(() => true),
    sleep(settleTimeoutMs).then(() => false),
  ])
  return { total, sent: seq, skipped, statuses, errorSamples: samples, results, settled, unfinished: inflight.size }
}
