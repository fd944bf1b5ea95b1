/**
 * Values loaded per key and kept for `ttlMs`, or until the value's own `expiresAt` if that comes
 * first (a rotated-out secret that stops counting). Concurrent gets of one key share one load; a
 * failed load is forgotten, so the next get tries again. At `limit` entries the cache is emptied
 * rather than grown (a flood of made-up keys cannot grow memory). Defaults: no own expiry, no limit.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>()

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
    this.entries.set(key, { at: this.o.now(), value })
    value.catch(() => this.entries.delete(key))
    return value
  }
}
