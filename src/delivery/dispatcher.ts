import type { Attempt } from '../core/model.js'
import { nextStep, parseRetryAfter, type AttemptOutcome, type NextStep } from '../core/retry-policy.js'
import type { SendTarget } from '../services/endpoint-directory.js'
import type { DueDelivery, LeasedDelivery, Settlement, Store } from '../store/store.js'
import { attemptRecord } from './attempt-record.js'
import { EarliestTimer } from './earliest-timer.js'
import { LocalLimits, type EndpointLimits, type LimitsFactory } from './endpoint-limits.js'
import { sendAttempt } from './send-attempt.js'
import type { SendResult, Sender } from './sender.js'

/** What the dispatcher reports after each settled delivery: endpoint health and operator events hang off it. */
export interface SettledDelivery {
  due: DueDelivery
  target: SendTarget | null
  attempt: Attempt | null
  step: NextStep
  /** False when the lease had been lost and the delivery's state was not changed. */
  applied: boolean
}

export interface DispatcherOptions {
  /** `promoteOrdered` repairs fifo endpoints (see ORDERED_REPAIR_MS); without it, none are. */
  store: Pick<Store, 'claimDue' | 'settle' | 'renewLeases' | 'releaseLeases' | 'nextDueAt'> & Partial<Pick<Store, 'promoteOrdered'>>
  sender: Sender
  targets: { sendTarget(endpointId: string): Promise<SendTarget | null> }
  /** This process's lease owner id. */
  owner: string
  /** Attempts in flight per endpoint. Default 16. */
  endpointConcurrency: number
  /**
   * Where the per-endpoint limits are kept: in memory by default (one node sends); shared through
   * the database when several workers do (SharedLimits).
   */
  limits?: LimitsFactory
  /** Attempts in flight in all. Default 256. */
  maxInFlight: number
  /** How long a claim leases a delivery; what is held is renewed every third of it. */
  leaseMs: number
  /** Deliveries held in memory per endpoint (queued, not yet sent). Default 512. */
  maxQueuedPerEndpoint?: number
  /** Deliveries held in memory in all; payloads beyond stay in the database. Default 1,024: enough to keep every in-flight slot fed, small enough that payloads do not pile up in the heap. */
  maxHeld?: number
  onSettled?: (batch: SettledDelivery[]) => void
  onAttempt?: (attempt: Attempt) => void
  /** An endpoint could not be loaded (its secrets did not open, the store failed): its delivery waits for its lease to end. */
  onTargetError?: (endpointId: string, error: unknown) => void
  now?: () => number
  random?: () => number
}

const CLAIM_BATCH = 256
const SETTLE_BATCH = 1024
/**
 * Settlements wait this long to share a transaction: each commit rewrites whole pages (the
 * deliveries', the due index's, the attempts' and their index's, each written to the WAL whole
 * however little of it changed), so fewer, larger commits cost much less per delivery; nobody
 * waits on a settlement (a fifo endpoint's is written at once). At a few thousand deliveries a
 * second, 5 ms made batches of a few dozen; 20 ms makes them four times larger. Default 20 ms.
 */
const SETTLE_DELAY_MS = 20
/** When every due delivery belongs to a full endpoint, look again after this long rather than on every freed slot. */
const SATURATED_BACKOFF_MS = 250
/**
 * A queued delivery is launched only with more than leaseMs / this of its lease left. Renewals keep
 * at least a third of a lease ahead, so while they succeed nothing is held back; when they fail,
 * sending stops a sixth of a lease before another node could claim the delivery, a margin for the
 * attempt's start and for node clocks that differ a little.
 */
const LAUNCH_MARGIN_DIVISOR = 6
/** Endpoints whose rate is remembered while nothing is queued for them. */
const RATES_KEPT = 10_000
/**
 * How often fifo endpoints left with held deliveries and nothing scheduled (a race with a change
 * made meanwhile, e.g. a disabled endpoint) are repaired (store.promoteOrdered). Default 1 minute.
 */
const ORDERED_REPAIR_MS = 60_000

/**
 * Claims due deliveries, sends them, and settles the outcome; fresh deliveries arrive already
 * leased through accept(). Per-endpoint queues are served round-robin under a per-endpoint and a
 * global limit, so a slow endpoint only ever occupies its own slots. Settlements are written in
 * batches. Nothing polls: publish calls wake() or accept(), and a timer covers the next due retry.
 */
export class Dispatcher {
  private readonly queues = new Map<string, DueDelivery[]>()
  /**
   * Each endpoint's rate, learnt before its first attempt: otherwise a burst could go out at full
   * concurrency before the first attempt revealed the limit. Kept while queues come and go (every
   * attempt refreshes it), and pruned of endpoints with nothing queued beyond RATES_KEPT.
   */
  private readonly rates = new Map<string, number | null>()
  private readonly learning = new Set<string>()
  /**
   * Every delivery in memory, queued or in flight until its settlement is written, with the end of
   * its lease as this node last wrote it (claim, publish hand-off or renewal).
   */
  private readonly held = new Map<string, number>()
  private renewTimer: NodeJS.Timeout | null = null
  private renewing: Promise<void> = Promise.resolve()
  /** Set once stop() has seen the last attempt end: leases are renewed until then. */
  private renewalsOver = false
  private order: string[] = []
  private cursor = 0
  private inFlight = 0
  private readonly inFlightDone = new Set<Promise<void>>()
  private settleBuffer: Array<{ s: Settlement; due: DueDelivery; target: SendTarget | null; step: NextStep }> = []
  private settleScheduled = false
  private settling: Promise<void> = Promise.resolve()
  private claiming = false
  private claimAgain = false
  /** The database may hold due work: set by wake() and timers, cleared when a claim comes back short. */
  private mayHaveDue = true
  private backoffUntil = 0
  private readonly limits: EndpointLimits
  /**
   * Covers the next due retry. Capped at a minute, so a clock jump or another node's work is
   * noticed within one; unref'd, it never holds the process open.
   */
  private readonly timer: EarliestTimer
  private stopped = false
  private repairTimer: NodeJS.Timeout | null = null
  private readonly maxQueued: number
  private readonly maxHeld: number
  private readonly now: () => number
  private readonly random: () => number

  constructor(private readonly o: DispatcherOptions) {
    this.maxQueued = o.maxQueuedPerEndpoint ?? 512
    this.maxHeld = o.maxHeld ?? 1024
    this.now = o.now ?? Date.now
    this.random = o.random ?? Math.random
    this.timer = new EarliestTimer(() => this.wake(), this.now, { maxDelayMs: 60_000, unref: true })
    const onChange = () => {
      if (!this.stopped) this.pump()
    }
    this.limits = o.limits ? o.limits(onChange) : new LocalLimits(o.endpointConcurrency, onChange, this.now)
  }

  start(): void {
    this.wake()
    this.repairOrdered()
    this.repairTimer = setInterval(() => this.repairOrdered(), ORDERED_REPAIR_MS)
    this.repairTimer.unref()
  }

  private repairOrdered(): void {
    if (this.stopped || !this.o.store.promoteOrdered) return
    void this.o.store.promoteOrdered(null, this.now()).then(
      (n) => {
        if (n > 0) this.wake()
      },
      () => {},
    )
  }

  get inFlightCount(): number {
    return this.inFlight
  }

  get heldCount(): number {
    return this.held.size
  }

  /** Whether a fresh delivery for this endpoint may be handed over in memory. */
  hasRoom(endpointId: string): boolean {
    if (this.stopped || this.held.size >= this.maxHeld) return false
    return (this.queues.get(endpointId)?.length ?? 0) < this.maxQueued
  }

  /** Deliveries already leased to this owner (by the publish transaction). */
  accept(items: readonly LeasedDelivery[]): void {
    if (this.stopped) {
      // Leased by a publish that committed as we stopped: hand them back rather than strand them.
      void this.o.store.releaseLeases(this.o.owner, items.map((d) => d.id), this.now()).catch(() => {})
      return
    }
    for (const d of items) this.enqueue(d, d.leaseEnd)
    this.pump()
  }

  /** New due work may be in the database. */
  wake(): void {
    this.mayHaveDue = true
    void this.fill()
  }

  /** Stop claiming, finish in-flight attempts, hand queued deliveries back, write every settlement. */
  async stop(): Promise<void> {
    this.stopped = true
    this.timer.clear()
    if (this.repairTimer) clearInterval(this.repairTimer)
    const queued: string[] = []
    for (const q of this.queues.values()) for (const d of q) queued.push(d.id)
    this.queues.clear()
    this.order = []
    for (const id of queued) this.held.delete(id)
    // Attempts in flight keep their leases renewed while they finish: one slower than a lease must
    // not become claimable by another node, and sent twice, because this one is stopping.
    while (this.inFlightDone.size > 0) await Promise.all([...this.inFlightDone])
    this.renewalsOver = true
    if (this.renewTimer) clearTimeout(this.renewTimer)
    this.renewTimer = null
    await this.renewing
    await this.flushSettlements()
    if (queued.length > 0) await this.o.store.releaseLeases(this.o.owner, queued, this.now())
    await this.limits.close()
  }

  private enqueue(d: DueDelivery, leaseEnd: number): void {
    const held = this.held.get(d.id)
    if (held !== undefined) {
      // Already ours. A re-claim renews its lease, and its row as read now replaces a copy still
      // queued: a manual retry asked for meanwhile changed its trigger, and only the claimed row's
      // settlement will be accepted. (One in flight is past replacing; its settle is refused and it
      // is handed back, see flushSettlements.)
      this.held.set(d.id, Math.max(held, leaseEnd))
      const q = this.queues.get(d.endpointId)
      const i = q?.findIndex((x) => x.id === d.id) ?? -1
      if (i >= 0) q![i] = d
      return
    }
    this.held.set(d.id, leaseEnd)
    this.scheduleRenewal()
    let q = this.queues.get(d.endpointId)
    if (!q) {
      q = []
      this.queues.set(d.endpointId, q)
      this.order.push(d.endpointId)
    }
    q.push(d)
  }

  /** Start attempts round-robin across endpoints until a limit is reached. */
  private pump(): void {
    const now = this.now()
    let expired = false
    let skipped = 0
    while (this.inFlight < this.o.maxInFlight && this.order.length > 0 && skipped < this.order.length) {
      if (this.cursor >= this.order.length) this.cursor = 0
      const endpointId = this.order[this.cursor]!
      const q = this.queues.get(endpointId)
      if (!q || q.length === 0) {
        this.queues.delete(endpointId)
        this.order.splice(this.cursor, 1)
        continue
      }
      // Whatever renewals did, a delivery whose lease has ended or is about to is no longer
      // surely ours: another node may claim it, so it is not sent from memory. It is due again in
      // the database when its lease ends, and comes back through a claim.
      if ((this.held.get(q[0]!.id) ?? 0) < now + this.o.leaseMs / LAUNCH_MARGIN_DIVISOR) {
        this.held.delete(q.shift()!.id)
        expired = true
        continue
      }
      const rate = this.rates.get(endpointId)
      // Not yet known, or over a limit: the others go on, and the limits (or the lookup) call
      // pump() again when this one may go.
      if (rate === undefined) this.learn(endpointId)
      if (rate === undefined || !this.limits.tryStart(endpointId, q.length, rate)) {
        this.cursor++
        skipped++
        continue
      }
      skipped = 0
      this.cursor++
      this.launch(q.shift()!)
    }
    if (expired && !this.stopped) this.wake()
  }

  /** Looks the endpoint up for its rate; its deliveries wait in their queue meanwhile. */
  private learn(endpointId: string): void {
    if (this.learning.has(endpointId)) return
    this.learning.add(endpointId)
    if (this.rates.size >= RATES_KEPT) for (const id of this.rates.keys()) if (!this.queues.has(id)) this.rates.delete(id)
    this.o.targets
      .sendTarget(endpointId)
      .then(
        (target) => {
          if (target !== null) this.rates.set(endpointId, target.endpoint.rateLimitPerSecond)
          // Deleted: its deliveries went with it (cascade); nothing to send or record.
          else this.dropQueue(endpointId)
        },
        (error: unknown) => {
          // As for an attempt that cannot load its endpoint: the leases stand, and the deliveries
          // come back when they end.
          this.o.onTargetError?.(endpointId, error)
          this.dropQueue(endpointId)
        },
      )
      .finally(() => {
        this.learning.delete(endpointId)
        if (!this.stopped) this.pump()
      })
  }

  /** Forgets an endpoint's queued deliveries (their leases, if any, stand). */
  private dropQueue(endpointId: string): void {
    for (const d of this.queues.get(endpointId) ?? []) this.held.delete(d.id)
    this.queues.delete(endpointId)
    this.order = this.order.filter((id) => id !== endpointId)
  }

  private launch(d: DueDelivery): void {
    this.inFlight++
    const done = this.attempt(d).finally(() => {
      this.inFlight--
      this.limits.finish(d.endpointId)
      this.inFlightDone.delete(done)
      if (this.stopped) return
      this.pump()
      if (this.mayHaveDue && this.held.size < this.maxHeld / 2) void this.fill()
    })
    this.inFlightDone.add(done)
  }

  private async attempt(d: DueDelivery): Promise<void> {
    let target: SendTarget | null = null
    try {
      target = await this.o.targets.sendTarget(d.endpointId)
    } catch (error) {
      // Not the endpoint's absence: something to tell the operator. The lease stands, so the
      // delivery is tried again when it ends.
      this.o.onTargetError?.(d.endpointId, error)
      this.held.delete(d.id)
      return
    }
    if (target === null) {
      // The endpoint is gone, and its deliveries with it (cascade): nothing to record.
      this.held.delete(d.id)
      return
    }
    const ep = target.endpoint
    // A changed rate applies from the next attempt on.
    this.rates.set(ep.id, ep.rateLimitPerSecond)
    // A disabled endpoint gets no scheduled attempt; a manual one (retry, recover) was asked for.
    if (!ep.enabled && d.trigger !== 'manual') {
      const step: NextStep = { kind: 'failed', reason: `endpoint disabled${ep.disabledReason ? `: ${ep.disabledReason}` : ''}` }
      this.queueSettlement(d, target, null, step)
      return
    }
    const event = { id: d.eventId, type: d.eventType, occurredAt: d.occurredAt, payloadJson: d.payloadJson }
    const { result, logged, envelope, transient } = await sendAttempt(this.o.sender, target, event, this.now())
    const outcome = outcomeOf(result, transient, this.now())
    const attemptsMade = d.attemptCount + 1
    const policy = target.retryPolicy
    const step = nextStep(outcome, attemptsMade, d.oneShot ? { ...policy, enabled: false } : policy, this.random)
    const attempt = attemptRecord({
      deliveryId: d.id,
      endpointId: d.endpointId,
      tenantId: d.tenantId,
      attemptNumber: attemptsMade,
      trigger: d.trigger,
      request: logged,
      result,
      success: step.kind === 'succeeded',
    })
    this.o.onAttempt?.(attempt)
    this.queueSettlement(d, target, attempt, step, envelope)
  }

  private queueSettlement(d: DueDelivery, target: SendTarget, attempt: Attempt | null, step: NextStep, envelope = false): void {
    const base = {
      deliveryId: d.id,
      leaseOwner: this.o.owner,
      claimedAttemptCount: d.attemptCount,
      claimedTrigger: d.trigger,
      attempt,
      envelopeBody: envelope,
      ordered: d.ordered === true,
    }
    const s: Settlement =
      step.kind === 'retry'
        ? { ...base, status: 'pending', nextAttemptAt: this.now() + step.delayMs }
        : { ...base, status: step.kind === 'succeeded' ? 'succeeded' : 'failed' }
    this.settleBuffer.push({ s, due: d, target, step })
    // A fifo endpoint waits for this settlement to promote its next delivery: no batching delay.
    if (this.settleBuffer.length >= SETTLE_BATCH || (d.ordered === true && s.status !== 'pending')) void this.flushSettlements()
    else if (!this.settleScheduled) {
      this.settleScheduled = true
      setTimeout(() => void this.flushSettlements(), SETTLE_DELAY_MS)
    }
  }

  /** Writes buffered settlements in one transaction; calls are serialized. */
  private flushSettlements(): Promise<void> {
    this.settleScheduled = false
    const batch = this.settleBuffer
    if (batch.length === 0) return this.settling
    this.settleBuffer = []
    this.settling = this.settling.then(async () => {
      let applied: boolean[]
      let written = true
      try {
        applied = await this.o.store.settle(batch.map((b) => b.s))
      } catch {
        // The store refused the write: the leases stand, so the deliveries come back when they expire.
        applied = batch.map(() => false)
        written = false
      }
      let nextRetry = Number.POSITIVE_INFINITY
      for (const b of batch) {
        this.held.delete(b.due.id)
        if (b.s.status === 'pending') nextRetry = Math.min(nextRetry, b.s.nextAttemptAt)
      }
      if (nextRetry !== Number.POSITIVE_INFINITY && !this.stopped) this.armTimer(nextRetry)
      // Settled deliveries leave memory only now. If the attempts all ended while the held count
      // was still too high to claim more, this is the moment there is room again: without it, due
      // work could wait in the database with nothing left to wake the dispatcher.
      if (this.mayHaveDue && !this.stopped && this.held.size < this.maxHeld / 2) void this.fill()
      // A settle refused because the delivery changed under the attempt (a manual retry asked for
      // meanwhile) may leave it leased to us by a re-claim: hand it back so it is sent now.
      const refused = written ? batch.filter((_, i) => applied[i] === false).map((b) => b.due.id) : []
      if (refused.length > 0 && !this.stopped) {
        await this.o.store.releaseLeases(this.o.owner, refused, this.now()).catch(() => 0)
        this.wake()
      }
      // A fifo endpoint's head finished: the settlement made the next one due; claim it.
      if (!this.stopped && batch.some((b, i) => applied[i] === true && b.s.ordered === true && b.s.status !== 'pending')) this.wake()
      this.o.onSettled?.(batch.map((b, i) => ({ due: b.due, target: b.target, attempt: b.s.attempt, step: b.step, applied: applied[i] ?? false })))
    })
    return this.settling
  }

  /** Claim due deliveries from the database while there is room and work. */
  private async fill(): Promise<void> {
    if (this.stopped) return
    if (this.claiming) {
      this.claimAgain = true
      return
    }
    const room = Math.min(CLAIM_BATCH, this.maxHeld - this.held.size)
    if (room <= 0) return
    const now = this.now()
    const exclude: string[] = []
    for (const [id, q] of this.queues) if (q.length >= this.maxQueued) exclude.push(id)
    if (exclude.length > 0 && now < this.backoffUntil) {
      this.armTimer(this.backoffUntil)
      return
    }
    this.claiming = true
    this.claimAgain = false
    let claimed: DueDelivery[] = []
    try {
      claimed = await this.o.store.claimDue({ owner: this.o.owner, now, limit: room, leaseMs: this.o.leaseMs, excludeEndpoints: exclude })
    } catch {
      claimed = []
    } finally {
      this.claiming = false
    }
    if (this.stopped) {
      if (claimed.length > 0) await this.o.store.releaseLeases(this.o.owner, claimed.map((d) => d.id), this.now())
      return
    }
    for (const d of claimed) this.enqueue(d, now + this.o.leaseMs)
    this.pump()
    if (claimed.length === room || this.claimAgain) {
      setImmediate(() => void this.fill())
      return
    }
    this.mayHaveDue = false
    if (exclude.length > 0) this.backoffUntil = this.now() + SATURATED_BACKOFF_MS
    const next = await this.o.store.nextDueAt().catch(() => null)
    if (next !== null) this.armTimer(Math.max(next, exclude.length > 0 ? this.backoffUntil : this.now() + 1))
  }

  private armTimer(at: number): void {
    if (!this.stopped) this.timer.arm(at)
  }

  /** Arms the renewal timer while anything is held; nothing runs while nothing is. */
  private scheduleRenewal(): void {
    if (this.renewTimer !== null || this.renewalsOver || this.held.size === 0) return
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null
      this.renewing = this.renew().finally(() => this.scheduleRenewal())
    }, this.o.leaseMs / 3)
    this.renewTimer.unref()
  }

  /**
   * Extends the leases of what is held (queued and in flight) that have less than two thirds of a
   * lease left: looked at every third of one, each has at least a third left whenever renewals
   * succeed. A queued delivery whose renewal comes back missing was taken by another node (its
   * lease had ended) or changed under us (re-queued by hand, deleted): it leaves the queue unsent.
   */
  private async renew(): Promise<void> {
    const now = this.now()
    const before = new Map<string, number>()
    for (const [id, end] of this.held) if (end < now + (2 * this.o.leaseMs) / 3) before.set(id, end)
    if (before.size === 0) return
    const until = now + this.o.leaseMs
    let renewed: Set<string>
    try {
      renewed = new Set(await this.o.store.renewLeases(this.o.owner, [...before.keys()], until))
    } catch {
      // The leases run on; the launch check keeps what has ended from being sent.
      return
    }
    const lost = new Set<string>()
    for (const [id, end] of before) {
      const current = this.held.get(id)
      // Gone meanwhile (settled, dropped), or claimed anew since: this answer is not about it.
      if (current === undefined || current !== end) continue
      if (renewed.has(id)) this.held.set(id, until)
      else {
        lost.add(id)
        // In flight, a lost one is past stopping (its settlement will be refused); it stays held
        // until then, marked so that renewals stop asking for it.
        this.held.set(id, Number.POSITIVE_INFINITY)
      }
    }
    if (lost.size === 0 || this.stopped) return
    for (const [endpointId, q] of this.queues) {
      if (!q.some((d) => lost.has(d.id))) continue
      const kept = q.filter((d) => !lost.has(d.id))
      for (const d of q) if (lost.has(d.id)) this.held.delete(d.id)
      this.queues.set(endpointId, kept)
    }
    this.pump()
  }
}

/** The pure view of a send result that the retry policy judges. */
function outcomeOf(r: SendResult, transient: boolean, now: number): AttemptOutcome {
  if (r.response) {
    const status = r.response.status
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(r.response.headers['retry-after'], now) : undefined
    return retryAfterMs === undefined ? { kind: 'response', status } : { kind: 'response', status, retryAfterMs }
  }
  const e = r.error ?? { kind: 'network', message: 'no response' }
  if (e.kind === 'timeout') return { kind: 'timeout' }
  if (e.kind === 'template' && transient) return { kind: 'template', message: e.message, transient: true }
  // A sender never reports `http` (any status is a response); should one, it is a network failure.
  return { kind: e.kind === 'http' ? 'network' : e.kind, message: e.message }
}
