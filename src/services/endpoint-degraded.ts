import { degradedVerdict, SuccessWindow, type WindowCounts } from '../core/success-window.js'
import type { SettledDelivery } from '../delivery/dispatcher.js'
import type { Store } from '../store/store.js'
import { OPERATOR_TENANT } from './endpoint-health.js'
import type { Publisher } from './publisher.js'

export interface DegradedWatchOptions {
  /** HOOKRELAY_DEGRADED_WINDOW. */
  windowMs: number
  /** HOOKRELAY_DEGRADED_THRESHOLD: a success rate below this is degraded. */
  threshold: number
  /**
   * Judge from the attempts of every node (a query per tick over the attempts of the endpoints this
   * node sent to) instead of this node's own counters: PostgreSQL, where several workers share
   * the endpoints. Default false (SQLite: one node sees every attempt).
   */
  shared: boolean
  now?: () => number
  onError?: (err: unknown) => void
}

/**
 * `endpoint.degraded` and its `endpoint.recovered` (API.md, Operational events): the success rate
 * of an endpoint's attempts over the last HOOKRELAY_DEGRADED_WINDOW, on at least 20 attempts,
 * below HOOKRELAY_DEGRADED_THRESHOLD.
 *
 * Settled attempts feed in-memory counters (core/success-window.ts): nothing is read or written
 * per attempt. Only a change of standing touches the database, with a conditional UPDATE of
 * endpoints.degraded_since (set only if unset, cleared only if set), and only the call that made
 * the change announces it, so the event fires once across restarts and nodes.
 *
 * On SQLite the counters are every attempt there is, and each settled batch is judged at once;
 * when they say the standing changes, one query over the endpoint's stored attempts in the window
 * confirms it (the counters start empty at every start, the stored attempts do not), at most once
 * per endpoint per bucket of the window. On PostgreSQL each worker sees only its own attempts, and workers judging their own shares could
 * disagree and flap (one marks, another clears), so there the counters only say which endpoints
 * this node sends to, and every tick (a fifteenth of the window, at most a minute) one aggregate
 * query over those endpoints' attempts in the window, by the (endpoint_id, started_at) index,
 * judges them on every node's attempts alike.
 */
export class DegradedWatch {
  private readonly window: SuccessWindow
  /** endpointId -> its tenant and whether this node last knew it degraded. */
  private readonly known = new Map<string, { tenantId: string; degraded: boolean }>()
  /** endpointId -> when the stored attempts were last asked to confirm the counters (one node). */
  private readonly confirmedAt = new Map<string, number>()
  private chain: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | null = null
  private readonly now: () => number
  private readonly onError: (err: unknown) => void

  constructor(
    private readonly store: Pick<Store, 'setEndpointDegraded' | 'attemptCountsSince'>,
    private readonly publisher: Pick<Publisher, 'publish'>,
    private readonly opts: DegradedWatchOptions,
  ) {
    this.window = new SuccessWindow(opts.windowMs)
    this.now = opts.now ?? Date.now
    this.onError = opts.onError ?? (() => {})
  }

  /** How often the shared judgement runs: a bucket of the window, at least 1 s, at most a minute. */
  get tickMs(): number {
    return Math.min(60_000, Math.max(1_000, this.window.bucketMs))
  }

  /** Called by the dispatcher with each settled batch. */
  readonly observe = (batch: SettledDelivery[]): void => {
    const now = this.now()
    const touched = new Set<string>()
    for (const b of batch) {
      if (!b.applied || b.attempt === null || b.target === null) continue
      const ep = b.target.endpoint
      // The operator's own endpoints raise no operational events.
      if (ep.tenantId === OPERATOR_TENANT) continue
      this.window.add(ep.id, b.attempt.success, now)
      // The snapshot's degraded_since is where a restarted node starts from; afterwards this
      // node's own writes (or their refusals) keep the standing.
      if (!this.known.has(ep.id)) this.known.set(ep.id, { tenantId: ep.tenantId, degraded: ep.degradedSince !== null })
      touched.add(ep.id)
    }
    if (this.opts.shared || touched.size === 0) return
    this.enqueue(async () => {
      for (const id of touched) {
        const k = this.known.get(id)
        if (k === undefined || degradedVerdict(this.window.counts(id, now), k.degraded, this.opts.threshold) === null) continue
        // The counters say the standing changes. They start empty at every start, so the stored
        // attempts have the last word (at most one query per endpoint per bucket of the window).
        const last = this.confirmedAt.get(id)
        if (last !== undefined && now - last < this.window.bucketMs) continue
        this.confirmedAt.set(id, now)
        const [stored] = await this.store.attemptCountsSince([id], now - this.opts.windowMs)
        if (stored !== undefined) await this.judge(id, stored, now)
      }
    })
  }

  /** Starts the shared judgement's timer (PostgreSQL); a no-op on one node. */
  start(): void {
    if (!this.opts.shared || this.timer !== null) return
    this.timer = setInterval(() => this.enqueue(() => this.tick()), this.tickMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Resolves once everything queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain
  }

  /** One shared judgement: every node's attempts of the endpoints this node sent to in the window. */
  async tick(): Promise<void> {
    const now = this.now()
    const ids = this.window.active(now)
    for (const id of this.known.keys()) if (!ids.includes(id)) this.known.delete(id)
    const counts = await this.store.attemptCountsSince(ids, now - this.opts.windowMs)
    for (const c of counts) await this.judge(c.endpointId, c, now)
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch(this.onError)
  }

  private async judge(endpointId: string, counts: WindowCounts, now: number): Promise<void> {
    const k = this.known.get(endpointId)
    if (k === undefined) return
    const verdict = degradedVerdict(counts, k.degraded, this.opts.threshold)
    if (verdict === null) return
    const changed = await this.store.setEndpointDegraded(endpointId, verdict === 'degraded' ? now : null)
    // Unchanged means another node (or an earlier start) got there first: take its standing.
    k.degraded = verdict === 'degraded'
    if (!changed) return
    const rate = `${Math.round((counts.succeeded / counts.attempts) * 100)}% (${counts.succeeded} of ${counts.attempts} attempts)`
    const window = describeWindow(this.opts.windowMs)
    const threshold = `${Math.round(this.opts.threshold * 100)}%`
    const reason =
      verdict === 'degraded'
        ? `success rate ${rate} over the last ${window} is below ${threshold}`
        : `success rate back to ${rate} over the last ${window}, at or above ${threshold}`
    await this.publisher.publish(OPERATOR_TENANT, { type: verdict === 'degraded' ? 'endpoint.degraded' : 'endpoint.recovered', payload: { tenantId: k.tenantId, endpointId, reason } })
  }
}

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'hour' : `${ms / 3_600_000} hours`
  if (ms % 60_000 === 0) return ms === 60_000 ? 'minute' : `${ms / 60_000} minutes`
  return `${Math.round(ms / 1000)} seconds`
}
