/**
 * Attempts and successes per key (an endpoint) over a sliding window, kept as a ring of buckets:
 * adding is O(1) and a count sums at most `buckets` numbers, so the delivery hot path pays no
 * query and no allocation per attempt. Pure: the time comes in as an argument.
 *
 * The window is the bucket being filled plus the `buckets - 1` before it, so it spans between
 * `windowMs - bucketMs` and `windowMs` of history (15 buckets: per minute for 15 minutes).
 */
export interface WindowCounts {
  attempts: number
  succeeded: number
}

interface Ring {
  /** Start (epoch ms) of the bucket each slot holds, -1 when empty. */
  starts: number[]
  attempts: number[]
  succeeded: number[]
  /** The last time something was added, to forget idle keys. */
  lastAt: number
}

export class SuccessWindow {
  private readonly rings = new Map<string, Ring>()
  readonly bucketMs: number

  constructor(
    readonly windowMs: number,
    private readonly buckets = 15,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / buckets))
  }

  add(key: string, success: boolean, now: number): void {
    let ring = this.rings.get(key)
    if (ring === undefined) {
      ring = { starts: new Array<number>(this.buckets).fill(-1), attempts: new Array<number>(this.buckets).fill(0), succeeded: new Array<number>(this.buckets).fill(0), lastAt: now }
      this.rings.set(key, ring)
    }
    const start = Math.floor(now / this.bucketMs) * this.bucketMs
    const i = Math.floor(now / this.bucketMs) % this.buckets
    if (ring.starts[i] !== start) {
      ring.starts[i] = start
      ring.attempts[i] = 0
      ring.succeeded[i] = 0
    }
    ring.attempts[i]! += 1
    if (success) ring.succeeded[i]! += 1
    ring.lastAt = now
  }

  counts(key: string, now: number): WindowCounts {
    const ring = this.rings.get(key)
    const out = { attempts: 0, succeeded: 0 }
    if (ring === undefined) return out
    const oldest = (Math.floor(now / this.bucketMs) - this.buckets + 1) * this.bucketMs
    for (let i = 0; i < this.buckets; i++) {
      const start = ring.starts[i]!
      if (start >= oldest && start <= now) {
        out.attempts += ring.attempts[i]!
        out.succeeded += ring.succeeded[i]!
      }
    }
    return out
  }

  /** Keys with something added within the window; the others are forgotten. */
  active(now: number): string[] {
    const out: string[] = []
    for (const [key, ring] of this.rings) {
      if (now - ring.lastAt >= this.windowMs) this.rings.delete(key)
      else out.push(key)
    }
    return out
  }
}

/** API.md, Operational events: a success rate is judged on at least this many attempts. */
export const DEGRADED_MIN_ATTEMPTS = 20

export type DegradedVerdict = 'degraded' | 'recovered' | null

/**
 * Whether an endpoint's standing changes: degraded when at least `minAttempts` attempts in the
 * window succeeded at a rate below `threshold`; recovered, once degraded, when the attempts in the
 * window (any number: fewer than `minAttempts` once the failures have aged out) succeed at the
 * threshold or above. Null when nothing changes, which is most of the time.
 */
export function degradedVerdict(c: WindowCounts, degraded: boolean, threshold: number, minAttempts = DEGRADED_MIN_ATTEMPTS): DegradedVerdict {
  if (c.attempts === 0) return null
  const rate = c.succeeded / c.attempts
  if (!degraded) return c.attempts >= minAttempts && rate < threshold ? 'degraded' : null
  return rate >= threshold ? 'recovered' : null
}
