/**
 * One timer for the earliest of many moments something waits for: arming it for a later moment
 * than it is set for changes nothing, an earlier one moves it. It fires once; whatever still waits
 * arms it again when it is next looked at.
 */
export class EarliestTimer {
  private timer: NodeJS.Timeout | null = null
  private at = Number.POSITIVE_INFINITY

  constructor(
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
    /** The longest wait armed at once (the timer fires early then); `unref`: it does not keep the process alive. */
    private readonly o: { maxDelayMs?: number; unref?: boolean } = {},
  ) {}

  arm(at: number): void {
    if (at >= this.at) return
    this.clear()
    this.at = at
    this.timer = setTimeout(
      () => {
        this.timer = null
        this.at = Number.POSITIVE_INFINITY
        this.fire()
      },
      Math.min(Math.max(0, at - this.now()), this.o.maxDelayMs ?? Number.MAX_SAFE_INTEGER),
    )
    if (this.o.unref) this.timer.unref()
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.at = Number.POSITIVE_INFINITY
  }
}
