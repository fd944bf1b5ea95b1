/**
 * Values loaded per key and kept for `ttlMs`, or until the value's own `expiresAt` if that comes
 * first (a rotated-out secret that stops counting). Concurrent gets of one key share one load; a
 * failed load is forgotten, so the next get tries again. At `limit` entries the cache is emptied
 * rather than grown (a flood of made-up keys cannot grow memory). Defaults: no own expiry, no limit.
 */
export class ExpiringCache<V> {
  /** Per key: when it was loaded, the load, and its value once the load succeeded (`settled`). */
  private readonly entries = new Map<string, { at: number; value: Promise<V>; settled?: { v: V } }>()

  constructor(
    private readonly load: (key: string) => Promise<V>,
    private readonly o: { now: () => number; ttlMs: number; expiresAt?: (value: V) => number; limit?: number },
  ) {}

  get(key: string): Promise<V> {
    const hit = this.entries.get(key)
    if (hit && this.o.now() - hit.at < this.o.ttlMs) {
      const expiresAt = this.o.expiresAt
      return expiresAt === undefined ? hit.value : hit.value.then((v) => (expiresAt(v) > this.o.now() ? v : this.reload(key)))
    }
    return this.reload(key)
  }

  /**
   * The value get() would give, when it is already loaded and still fresh; undefined otherwise
   * (then call get). Synchronous, for hot paths that would otherwise await a settled promise.
   */
  peek(key: string): { v: V } | undefined {
    const hit = this.entries.get(key)
    if (hit?.settled === undefined) return undefined
    const t = this.o.now()
    if (t - hit.at >= this.o.ttlMs) return undefined
    const expiresAt = this.o.expiresAt
    return expiresAt === undefined || expiresAt(hit.settled.v) > t ? hit.settled : undefined
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  clear(): void {
    this.entries.clear()
  }

  /** Forgets every entry whose key passes `test`. */
  deleteWhere(test: (key: string) => boolean): void {
    for (const key of this.entries.keys()) if (test(key)) this.entries.delete(key)
  }

  private reload(key: string): Promise<V> {
    const value = this.load(key)
    if (this.o.limit !== undefined && this.entries.size >= this.o.limit) this.entries.clear()
    const entry: { at: number; value: Promise<V>; settled?: { v: V } } = { at: this.o.now(), value }
    this.entries.set(key, entry)
    value.then(
      (v) => {
        entry.settled = { v }
      },
      () => {
        // Only this entry: a delete() and a newer load may have replaced it meanwhile.
        if (this.entries.get(key) === entry) this.entries.delete(key)
      },
    )
    return value
  }
}
