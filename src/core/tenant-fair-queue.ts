/**
 * A queue of work items shared by tenants that run on a few slots (the render threads,
 * rendering/render-pool.ts), in an order no tenant can turn against the others: the rule is
 * that nothing a tenant can type may hurt anyone else, and one FIFO let a tenant with runaway
 * templates put its jobs ahead of everyone's and keep every slot for ~250 ms each time.
 *
 * - Tenants take turns (round-robin): each start goes to the tenant with items waiting that started
 *   one least recently (a tenant that arrives goes first: it has had no turn), its items in the
 *   order queued. A tenant with a thousand items waits its turn like one with one.
 * - While another tenant has items waiting, no tenant holds every slot (at most `slots - 1`), so a
 *   tenant whose items all run long cannot keep the others out for the length of its items.
 * - A tenant one of whose items overran (the caller says: the render pool, when it stopped a
 *   thread at a job's deadline or a job took its thread down) is penalised for `penaltyMs`: its
 *   items start only when no other tenant's may, and it holds at most `slots - 1` slots even when
 *   nobody else waits, so a slot is free the moment another tenant's item arrives. Every overrun
 *   starts the penalty again, so runaway after runaway stays behind.
 *
 * A slot may take several of one tenant's items at once (takeBatch): they hold the one slot, and
 * the tenant gets its next turn after them, as after one item. The render threads take jobs so,
 * because a message to a thread and back costs more than most renders.
 *
 * Pure: no timers, the time comes in as an argument. The caller says when an item starts (take)
 * and ends (finish); the queue only counts. With one slot no cap can apply (it would leave the
 * slot idle for good); turns and penalties still do.
 */
export interface TenantFairQueueOptions {
  /** Slots the items run on (at least 1). */
  slots: number
  /** How long a tenant stays behind the others after one of its items overran, in ms. */
  penaltyMs: number
}

export interface Taken<T> {
  tenant: string
  item: T
}

/** Items of one tenant started together on one slot (takeBatch). */
export interface TakenBatch<T> {
  tenant: string
  items: T[]
}

export class TenantFairQueue<T> {
  /** Items waiting, per tenant, in the order queued. */
  private readonly waitingBy = new Map<string, T[]>()
  /** Items started and not finished, per tenant (no entry at 0). */
  private readonly runningBy = new Map<string, number>()
  /**
   * When each tenant with items waiting or running last started one (a count of starts): the
   * turn goes to the oldest. Forgotten when the tenant has neither, so the map holds only tenants
   * with work, and a tenant whose work ran out comes back as a newcomer.
   */
  private readonly lastStart = new Map<string, number>()
  /** Until when each penalised tenant stays behind (entries past are dropped when looked at or at the next overrun). */
  private readonly penaltyUntil = new Map<string, number>()
  private starts = 0
  private count = 0

  constructor(private readonly opts: TenantFairQueueOptions) {}

  /** Items waiting, all tenants. */
  get waiting(): number {
    return this.count
  }

  push(tenant: string, item: T): void {
    const items = this.waitingBy.get(tenant)
    if (items) items.push(item)
    else this.waitingBy.set(tenant, [item])
    this.count++
  }

  /**
   * The item to start now on a free slot, or undefined when none waits or none may start (every
   * tenant with items is at its cap: a slot then stays free for another tenant's item). The
   * tenant is counted as holding one more slot until `finish`.
   */
  take(nowMs: number): Taken<T> | undefined {
    const batch = this.takeBatch(nowMs, 1)
    return batch === undefined ? undefined : { tenant: batch.tenant, item: batch.items[0]! }
  }

  /**
   * As take, with up to `max` of the chosen tenant's items, in the order queued, on the one slot:
   * the tenant holds one more slot until one `finish`.
   */
  takeBatch(nowMs: number, max: number): TakenBatch<T> | undefined {
    let best: string | undefined
    let bestBehind = true
    let bestTurn = Infinity
    for (const tenant of this.waitingBy.keys()) {
      const behind = this.penalised(tenant, nowMs)
      if (this.runningOf(tenant) >= this.cap(tenant, behind)) continue
      // Never started: -1, before any that has; ties go to the tenant whose items were queued first.
      const turn = this.lastStart.get(tenant) ?? -1
      if (behind === bestBehind ? turn < bestTurn : !behind) {
        best = tenant
        bestBehind = behind
        bestTurn = turn
      }
    }
    return best === undefined ? undefined : this.start(best, max)
  }

  /**
   * Puts items taken from `tenant` back at the head of its queue, in their order, as if they had
   * not been taken (a slot ended before it could run them). Their slot is given back by `finish`.
   */
  putBack(tenant: string, items: T[]): void {
    if (items.length === 0) return
    const waiting = this.waitingBy.get(tenant)
    if (waiting) waiting.unshift(...items)
    else this.waitingBy.set(tenant, [...items])
    this.count += items.length
  }

  /**
   * An item of `tenant` ended: its slot is free. `overran` when it ran past its deadline or ended
   * its slot: the tenant is penalised from `nowMs` for penaltyMs.
   */
  finish(tenant: string, overran: boolean, nowMs: number): void {
    const running = this.runningOf(tenant) - 1
    if (running > 0) this.runningBy.set(tenant, running)
    else this.runningBy.delete(tenant)
    if (running <= 0 && !this.waitingBy.has(tenant)) this.lastStart.delete(tenant)
    if (!overran) return
    // Overruns are rare (each costs a slot its deadline): a sweep here keeps the map to tenants penalised now.
    for (const [t, until] of this.penaltyUntil) if (until <= nowMs) this.penaltyUntil.delete(t)
    this.penaltyUntil.set(tenant, nowMs + this.opts.penaltyMs)
  }

  /** Whether `tenant`'s items go behind the others' at `nowMs`. */
  penalised(tenant: string, nowMs: number): boolean {
    const until = this.penaltyUntil.get(tenant)
    if (until === undefined) return false
    if (nowMs < until) return true
    // Forgotten once over, so tenants that overran once long ago do not pile up here.
    this.penaltyUntil.delete(tenant)
    return false
  }

  /** Removes and returns every waiting item (the pool fails them when it closes or cannot start a slot). */
  drain(): T[] {
    const all = [...this.waitingBy.values()].flat()
    for (const tenant of this.waitingBy.keys()) if (!this.runningBy.has(tenant)) this.lastStart.delete(tenant)
    this.waitingBy.clear()
    this.count = 0
    return all
  }

  private runningOf(tenant: string): number {
    return this.runningBy.get(tenant) ?? 0
  }

  /** Slots `tenant` may hold at once now: all of them, unless that would keep another tenant out. */
  private cap(tenant: string, behind: boolean): number {
    const { slots } = this.opts
    if (slots <= 1) return slots
    // Asked only of a tenant with items waiting: any other entry is another tenant waiting.
    const othersWait = this.waitingBy.size > 1
    return behind || othersWait ? slots - 1 : slots
  }

  private start(tenant: string, max: number): TakenBatch<T> {
    const waiting = this.waitingBy.get(tenant)!
    const items = waiting.splice(0, Math.max(1, max))
    if (waiting.length === 0) this.waitingBy.delete(tenant)
    this.count -= items.length
    this.runningBy.set(tenant, this.runningOf(tenant) + 1)
    this.lastStart.set(tenant, this.starts++)
    return { tenant, items }
  }
}
