import type { SharedLimitStore } from '../store/store.js'
import { EarliestTimer } from './earliest-timer.js'
import type { EndpointLimits, LimitsFactory } from './endpoint-limits.js'

/**
 * A slot row not renewed for this long is free for other workers (a worker that died). Rows are
 * renewed every tenth of it, and trusted for 70% of it: room for slow renewals and clock drift.
 */
const SLOT_TTL_MS = 10_000
/** When others still hold more than their share: ask again this soon, they give back on renewal. */
const SHORT_RETRY_MS = 200
const FAILED_RETRY_MS = 1000
/** Tokens are taken a tenth of a second's rate at a time, and dropped if not spent this soon. */
const TOKEN_SLICE = 0.1
const TOKEN_USE_MS = 250
const ERROR_REPORT_MS = 30_000

interface EndpointState {
  running: number
  /** Slots this worker may fill: granted by the last share. */
  slots: number
  /** Slots its database row holds: at least the attempts running, and `slots`. */
  rowSlots: number
  /** Whether this worker has a row for the endpoint (renewed until released or lost). */
  hasRow: boolean
  /** Slots are only used before this (local clock): a row not renewed in time may have expired. */
  trustedUntil: number
  /** While a share is being asked for, attempts stay at or below the count sent with it. */
  asking: boolean
  askFloor: number
  /** A row being lowered: no share is asked for meanwhile, or the lowering could land after it. */
  shrinking: boolean
  releasing: boolean
  retryAt: number
  /** When the last share was granted: a renewal begun before it cannot have seen its row. */
  grantedAt: number
  want: number
  lastDemandAt: number
  tokens: number
  tokensUntil: number
  takingTokens: boolean
  tokensRetryAt: number
}

export interface SharedLimitsOptions {
  store: SharedLimitStore
  owner: string
  /** Attempts in flight per endpoint across every worker. */
  concurrency: number
  onChange: () => void
  onError?: (error: unknown) => void
  /** Default 10 s. */
  slotTtlMs?: number
  now?: () => number
}

/**
 * Endpoint limits held across every worker on one database (SharedLimitStore). A worker holds a
 * share of each busy endpoint's concurrency as slots, asked for when it has more to send than its
 * slots allow and renewed every second; whoever holds more than a fair share while another wants
 * more gives the difference back. Rate limits draw tokens from one bucket per endpoint, a slice
 * at a time. Everything here is asked for in the background: tryStart() answers from what is
 * held now, and onChange() says when to ask again.
 */
export class SharedLimits implements EndpointLimits {
  private readonly states = new Map<string, EndpointState>()
  /** Shares being asked for: close() waits for them, so none writes a row after the last release. */
  private readonly asks = new Set<Promise<void>>()
  private readonly ticker: NodeJS.Timeout
  /** For the earliest retry any endpoint waits for. */
  private readonly timer: EarliestTimer
  private ticking = false
  private closed = false
  private lastErrorAt = Number.NEGATIVE_INFINITY
  private readonly now: () => number
  private readonly ttl: number
  /** How often rows are renewed, contended endpoints rebalanced and a fair share asked to grow. */
  private readonly tickMs: number
  /** An endpoint nobody has asked about for this long gives its slots back. */
  private readonly idleMs: number

  constructor(private readonly o: SharedLimitsOptions) {
    this.now = o.now ?? Date.now
    this.ttl = o.slotTtlMs ?? SLOT_TTL_MS
    this.tickMs = this.ttl / 10
    this.idleMs = this.ttl / 5
    this.timer = new EarliestTimer(() => o.onChange(), this.now)
    this.ticker = setInterval(() => void this.tick(), this.tickMs)
    this.ticker.unref()
  }

  /** Until when slots granted or renewed at `at` may be used. */
  private trust(at: number): number {
    return at + this.ttl * 0.7
  }

  tryStart(endpointId: string, queued: number, rate: number | null): boolean {
    if (this.closed) return false
    const now = this.now()
    const st = this.state(endpointId)
    st.lastDemandAt = now
    st.want = Math.min(this.o.concurrency, st.running + queued)
    let cap = now < st.trustedUntil && !st.releasing ? Math.min(st.slots, this.o.concurrency) : 0
    if (st.asking) cap = Math.min(cap, st.askFloor)
    if (st.running >= cap) {
      if (st.want > cap) this.askSlots(endpointId, st, false)
      return false
    }
    if (rate !== null) {
      if (now >= st.tokensUntil) st.tokens = 0
      if (st.tokens < 1) {
        this.takeTokens(endpointId, st, rate, Math.min(queued, cap - st.running))
        return false
      }
      st.tokens--
    }
    st.running++
    return true
  }

  finish(endpointId: string): void {
    const st = this.states.get(endpointId)
    if (!st) return
    st.running = Math.max(0, st.running - 1)
    this.lowerRow(endpointId, st)
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.ticker)
    this.timer.clear()
    await Promise.allSettled([...this.asks])
    this.states.clear()
    await this.o.store.releaseSlots(this.o.owner, null).catch((e) => this.report(e))
  }

  /** The slots held right now for an endpoint, for tests and metrics. */
  slotsOf(endpointId: string): number {
    const st = this.states.get(endpointId)
    return st && this.now() < st.trustedUntil ? st.slots : 0
  }

  private state(endpointId: string): EndpointState {
    let st = this.states.get(endpointId)
    if (!st) {
      st = {
        running: 0, slots: 0, rowSlots: 0, hasRow: false, trustedUntil: 0, asking: false, askFloor: 0, shrinking: false, releasing: false,
        retryAt: 0, grantedAt: 0, want: 0, lastDemandAt: 0, tokens: 0, tokensUntil: 0, takingTokens: false, tokensRetryAt: 0,
      }
      this.states.set(endpointId, st)
    }
    return st
  }

  /** Asks for this worker's share of the endpoint; `rebalance` asks even before the retry time. */
  private askSlots(endpointId: string, st: EndpointState, rebalance: boolean): void {
    if (st.asking || st.shrinking || st.releasing || this.closed) return
    if (!rebalance && this.now() < st.retryAt) {
      this.arm(st.retryAt)
      return
    }
    st.asking = true
    st.askFloor = st.running
    const want = st.want
    const started = this.now()
    const ask = this.o.store
      .shareSlots({ owner: this.o.owner, endpointId, limit: this.o.concurrency, want, running: st.askFloor, ttlMs: this.ttl })
      .then(
        ({ granted, share }) => {
          st.slots = granted
          st.rowSlots = Math.max(st.askFloor, granted)
          st.hasRow = true
          st.trustedUntil = this.trust(started)
          st.grantedAt = this.now()
          st.retryAt = granted >= want ? 0 : this.now() + (granted < share ? SHORT_RETRY_MS : this.tickMs)
        },
        (error: unknown) => {
          st.retryAt = this.now() + FAILED_RETRY_MS
          this.report(error)
        },
      )
      .finally(() => {
        st.asking = false
        this.asks.delete(ask)
        if (st.retryAt > 0) this.arm(st.retryAt)
        this.lowerRow(endpointId, st)
        this.o.onChange()
      })
    this.asks.add(ask)
  }

  /** Gives back the slots the row holds beyond what is running and what is granted. */
  private lowerRow(endpointId: string, st: EndpointState): void {
    const keep = Math.max(st.running, st.slots)
    if (st.rowSlots <= keep || st.asking || st.shrinking || st.releasing || this.closed) return
    st.shrinking = true
    this.o.store
      .setSlots(this.o.owner, endpointId, keep, this.ttl)
      .then(
        () => {
          st.rowSlots = keep
        },
        (error: unknown) => this.report(error),
      )
      .finally(() => {
        st.shrinking = false
        this.o.onChange()
      })
  }

  private takeTokens(endpointId: string, st: EndpointState, rate: number, usable: number): void {
    if (st.takingTokens || this.closed) return
    if (this.now() < st.tokensRetryAt) {
      this.arm(st.tokensRetryAt)
      return
    }
    st.takingTokens = true
    const want = Math.max(1, Math.min(usable, Math.ceil(rate * TOKEN_SLICE)))
    this.o.store
      .takeTokens(endpointId, rate, want)
      .then(
        ({ granted, tokens }) => {
          const now = this.now()
          st.tokens = granted
          st.tokensUntil = now + TOKEN_USE_MS
          st.tokensRetryAt = granted > 0 ? 0 : now + Math.max(1, Math.ceil(((1 - tokens) / rate) * 1000))
        },
        (error: unknown) => {
          st.tokensRetryAt = this.now() + FAILED_RETRY_MS
          this.report(error)
        },
      )
      .finally(() => {
        st.takingTokens = false
        if (st.tokensRetryAt > 0) this.arm(st.tokensRetryAt)
        this.o.onChange()
      })
  }

  /** Renews the rows, gives back idle endpoints' slots, and rebalances where others are short. */
  private async tick(): Promise<void> {
    if (this.ticking || this.closed) return
    this.ticking = true
    try {
      const now = this.now()
      const idle: string[] = []
      for (const [id, st] of this.states) {
        const busy = st.running > 0 || st.asking || st.shrinking || st.takingTokens
        if (!busy && now - st.lastDemandAt > this.idleMs) idle.push(id)
      }
      if (idle.length > 0) await this.release(idle)
      const started = this.now()
      const tracked = [...this.states].filter(([, st]) => st.hasRow && !st.releasing).map(([id]) => id)
      const renewed = new Map((await this.o.store.renewSlots(this.o.owner, tracked, this.ttl)).map((r) => [r.endpointId, r.contended]))
      for (const id of tracked) {
        const st = this.states.get(id)
        if (!st || !st.hasRow || st.asking || st.releasing || st.grantedAt >= started) continue
        const contended = renewed.get(id)
        if (contended === undefined) {
          // The row expired (renewals failed for too long): its slots may be someone else's now.
          st.slots = 0
          st.rowSlots = 0
          st.hasRow = false
          st.trustedUntil = 0
          continue
        }
        st.trustedUntil = this.trust(started)
        if (contended && st.slots > 0) this.askSlots(id, st, true)
      }
    } catch (error) {
      this.report(error)
    } finally {
      this.ticking = false
    }
  }

  /**
   * Gives back idle endpoints' rows. Their slots stop counting locally before the rows go, so
   * nothing starts on a row being deleted; one that failed to go stays tracked (and renewed) until
   * a later release succeeds.
   */
  private async release(ids: string[]): Promise<void> {
    const held = ids.filter((id) => this.states.get(id)?.hasRow === true)
    for (const id of ids) {
      const st = this.states.get(id)!
      st.releasing = true
      st.slots = 0
      st.trustedUntil = 0
    }
    try {
      if (held.length > 0) await this.o.store.releaseSlots(this.o.owner, held)
      for (const id of held) {
        const st = this.states.get(id)!
        st.hasRow = false
        st.rowSlots = 0
      }
    } catch (error) {
      this.report(error)
    } finally {
      const now = this.now()
      for (const id of ids) {
        const st = this.states.get(id)
        if (!st) continue
        st.releasing = false
        // Asked about again while the rows went: keep the state, it asks for slots anew.
        if (!st.hasRow && st.running === 0 && now - st.lastDemandAt > this.idleMs) this.states.delete(id)
      }
      this.o.onChange()
    }
  }

  private arm(at: number): void {
    if (!this.closed) this.timer.arm(at)
  }

  private report(error: unknown): void {
    const now = this.now()
    if (now - this.lastErrorAt < ERROR_REPORT_MS) return
    this.lastErrorAt = now
    this.o.onError?.(error)
  }
}

/** The dispatcher's limits on a shared database; problems reaching it go to `warn`, at most twice a minute. */
export function sharedLimits(store: SharedLimitStore, owner: string, concurrency: number, warn: (message: string) => void): LimitsFactory {
  return (onChange) =>
    new SharedLimits({ store, owner, concurrency, onChange, onError: (e) => warn(`endpoint limits shared with other workers: ${(e as Error).message}`) })
}
