/**
 * Per-key token buckets for `rateLimitPerSecond`: a bucket holds at most one second's worth of
 * tokens and refills continuously. Pure but for its own state: time comes in as an argument.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { rate: number; tokens: number; at: number }>()

  /** Beyond this many buckets, full ones are dropped: a full bucket is what a new one starts as. */
  constructor(private readonly pruneAbove = 4096) {}

  /** Sets or clears (null) the rate of a key. A new or changed rate starts from a full bucket. */
  setRate(key: string, rate: number | null, now: number): void {
    if (rate === null) {
      this.buckets.delete(key)
      return
    }
    const b = this.buckets.get(key)
    if (b && b.rate === rate) return
    if (!b && this.buckets.size >= this.pruneAbove) this.prune(now)
    this.buckets.set(key, { rate, tokens: rate, at: now })
  }

  /** Whether a key has a rate. */
  has(key: string): boolean {
    return this.buckets.has(key)
  }

  /** Takes a token and returns 0, or returns how many ms until one is available (taking nothing). */
  take(key: string, now: number): number {
    const b = this.buckets.get(key)
    if (!b) return 0
    b.tokens = Math.min(b.rate, b.tokens + ((now - b.at) / 1000) * b.rate)
    b.at = now
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - b.tokens) / b.rate) * 1000)
  }

  private prune(now: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * b.rate >= b.rate) this.buckets.delete(key)
  }
}
