import { RateLimiter } from '../core/rate-limiter.js'
import { EarliestTimer } from './earliest-timer.js'

/**
 * What the dispatcher asks before it starts an attempt: whether the endpoint's concurrency limit and
 * `rateLimitPerSecond` allow one more now. One node keeps them in memory (LocalLimits); workers
 * sharing a database share them through it (SharedLimits). Either calls `onChange` when something
 * it refused may now be allowed, so the dispatcher never polls for it.
 */
export interface EndpointLimits {
  /**
   * True when an attempt may start now; it counts until finish(). False otherwise: `queued` (the
   * attempts waiting, this one included) says how much a shared budget should ask for. `rate` is
   * the endpoint's `rateLimitPerSecond` (null for none), known before its first attempt.
   */
  tryStart(endpointId: string, queued: number, rate: number | null): boolean
  finish(endpointId: string): void
  /** Stops timers and gives back whatever is held for others. */
  close(): Promise<void>
}

export type LimitsFactory = (onChange: () => void) => EndpointLimits

/** The limits of a node that is the only one sending: counters and token buckets in memory. */
export class LocalLimits implements EndpointLimits {
  private readonly running = new Map<string, number>()
  private readonly rates = new RateLimiter()
  /** For the earliest token any refused endpoint waits for; the next look re-arms it. */
  private readonly timer: EarliestTimer

  constructor(
    private readonly concurrency: number,
    onChange: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = new EarliestTimer(onChange, now)
  }

  tryStart(endpointId: string, _queued: number, rate: number | null): boolean {
    const running = this.running.get(endpointId) ?? 0
    if (running >= this.concurrency) return false // finish() is the dispatcher's cue to look again
    const now = this.now()
    this.rates.setRate(endpointId, rate, now)
    const wait = this.rates.take(endpointId, now)
    if (wait > 0) {
      this.timer.arm(now + wait)
      return false
    }
    this.running.set(endpointId, running + 1)
    return true
  }

  finish(endpointId: string): void {
    const r = (this.running.get(endpointId) ?? 1) - 1
    if (r <= 0) this.running.delete(endpointId)
    else this.running.set(endpointId, r)
  }

  async close(): Promise<void> {
    this.timer.clear()
  }
}
