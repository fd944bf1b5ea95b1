import { matchesChannels, matchesEventType } from '../core/event-filter.js'
import { newId } from '../core/ids.js'
import type { Endpoint, JsonObject, StoredEvent } from '../core/model.js'
import { AppError } from '../errors.js'
import type { LeasedDelivery, PublishItem, PublishOutcome, Store } from '../store/store.js'
import type { EndpointDirectory } from './endpoint-directory.js'
import type { PayloadSchemas } from './payload-schemas.js'

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000
/** Publishes in one group commit at most; the rest wait for the next. */
const MAX_GROUP = 2000
/**
 * How long a publish that arrives within this long of the previous commit waits for others to
 * join its commit. An SQLite commit is synchronous and, without an fsync to wait for, over before
 * the next request is even parsed, so under concurrent load each publish would commit alone; an
 * idle server still commits at once. Default 2 ms.
 */
const GROUP_WINDOW_MS = 2
/**
 * After a wait that gathered no other publish (one client publishing in sequence), commit at once
 * for this long, so such a client pays the window about once per this period. Default 100 ms.
 */
const FRUITLESS_WAIT_BACKOFF_MS = 100

export interface PublishInput {
  type: string
  payload: JsonObject
  idempotencyKey?: string | null
  channels?: string[]
  occurredAt?: number
}

export interface PublishResult {
  created: boolean
  event: StoredEvent
}

/** The in-memory hand-off: a local dispatcher that takes deliveries already leased to it. */
export interface LocalDispatcher {
  readonly owner: string
  readonly leaseMs: number
  hasRoom(endpointId: string): boolean
  /** Each with the end of the lease its publish wrote. */
  accept(items: readonly LeasedDelivery[]): void
  wake(): void
}

interface Waiting {
  item: PublishItem
  handOff: LeasedDelivery[]
  resolve: (r: PublishResult) => void
  reject: (e: unknown) => void
}

/**
 * Publishing with group commit: every publish that arrives while a commit is being prepared joins
 * it, so N concurrent publishes cost one transaction (and one fsync), and each caller is answered
 * only after that commit. Fan-out is decided here, from the tenant's enabled endpoints.
 */
export class Publisher {
  private waiting: Waiting[] = []
  private scheduled = false
  /** The commit in flight (or the last one). */
  private current: Promise<void> = Promise.resolve()
  private inFlight = false
  /** performance.now() when the last commit was written. */
  private lastCommitAt = Number.NEGATIVE_INFINITY
  /** performance.now() before which a commit is not held back for company. */
  private noWaitUntil = 0
  /** Whether the scheduled commit waits GROUP_WINDOW_MS for company. */
  private holding = false

  constructor(
    private readonly store: Store,
    private readonly directory: EndpointDirectory,
    private dispatcher: LocalDispatcher | null,
    private readonly now: () => number = Date.now,
    /** Told the size of each group commit (metrics). */
    private readonly onCommit: (size: number) => void = () => {},
    /** Event types' JSON Schemas; a payload that does not validate is refused. Default none. */
    private readonly schemas: PayloadSchemas | null = null,
  ) {}

  /** Attaches the local dispatcher once it exists (it needs the publisher for operator events). */
  attach(dispatcher: LocalDispatcher | null): void {
    this.dispatcher = dispatcher
  }

  publish(tenantId: string, input: PublishInput): Promise<PublishResult> {
    // Not async: with the tenant's endpoints and the type's schema cached (the usual case) the
    // publish joins the next commit in this turn, with no promise but the one it answers with.
    const known = this.directory.knownCandidates(tenantId)
    if (known === undefined) return this.directory.fanOutCandidates(tenantId).then((candidates) => this.publishAmong(tenantId, input, candidates))
    try {
      return this.publishAmong(tenantId, input, known.v)
    } catch (err) {
      // Callers chain .catch on the promise: a refusal must never throw in their turn.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Publishes to those of `candidates` (the tenant's enabled endpoints; null = no such tenant) that want the event. */
  private publishAmong(tenantId: string, input: PublishInput, candidates: readonly Endpoint[] | null): Promise<PublishResult> {
    if (candidates === null) throw new AppError('not_found', `Tenant ${tenantId} not found.`)
    const checking = this.schemas?.checkPayload(input.type, input.payload)
    if (checking !== undefined) return checking.then(() => this.publishTo(tenantId, input, wanted(candidates, input)))
    return this.publishTo(tenantId, input, wanted(candidates, input))
  }

  /** Publishes to the given endpoints exactly (no filter): the fan-out is already decided. */
  publishTo(tenantId: string, input: PublishInput, endpoints: readonly Endpoint[]): Promise<PublishResult> {
    const now = this.now()
    const event: StoredEvent = {
      id: newId('evt', now),
      tenantId,
      type: input.type,
      payloadJson: JSON.stringify(input.payload),
      channels: input.channels ?? [],
      idempotencyKey: input.idempotencyKey ?? null,
      occurredAt: input.occurredAt ?? now,
      createdAt: now,
      deliveryCount: endpoints.length,
    }
    const d = this.dispatcher
    const handOff: LeasedDelivery[] = []
    const deliveries = endpoints.map((ep) => {
      const id = newId('dlv', now)
      // A fifo endpoint's delivery is never handed over in memory: the store writes it held and
      // makes it due only when it is the endpoint's oldest (see PublishItem).
      if (ep.ordering === 'fifo') return { id, endpointId: ep.id, leaseOwner: null, nextAttemptAt: now, ordered: true }
      if (d && d.hasRoom(ep.id)) {
        const leaseEnd = now + d.leaseMs
        handOff.push({
          id,
          tenantId,
          endpointId: ep.id,
          eventId: event.id,
          eventType: event.type,
          payloadJson: event.payloadJson,
          occurredAt: event.occurredAt,
          attemptCount: 0,
          trigger: 'scheduled',
          oneShot: false,
          leaseEnd,
        })
        return { id, endpointId: ep.id, leaseOwner: d.owner, nextAttemptAt: leaseEnd }
      }
      return { id, endpointId: ep.id, leaseOwner: null, nextAttemptAt: now }
    })
    return new Promise<PublishResult>((resolve, reject) => {
      this.waiting.push({ item: { event, deliveries }, handOff, resolve, reject })
      this.schedule()
    })
  }

  /** Waits for every publish accepted so far to be committed. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.inFlight) await this.current
      else if (this.waiting.length > 0) await this.run()
      else return
    }
  }

  /**
   * Arranges a commit for what is waiting. While a commit is in flight (its transaction written,
   * its flush to disk under way) nothing is scheduled: everyone who arrives meanwhile commits
   * together as soon as it ends, which is what makes a group.
   */
  private schedule(): void {
    if (this.inFlight) return
    if (this.waiting.length >= MAX_GROUP) {
      void this.run()
      return
    }
    if (this.scheduled) return
    this.scheduled = true
    const t = performance.now()
    if (t - this.lastCommitAt < GROUP_WINDOW_MS && t >= this.noWaitUntil) {
      this.holding = true
      setTimeout(() => void this.run(), GROUP_WINDOW_MS)
    } else {
      setImmediate(() => void this.run())
    }
  }

  private run(): Promise<void> {
    this.scheduled = false
    if (this.inFlight) return this.current
    const held = this.holding
    this.holding = false
    const group = this.waiting.splice(0, MAX_GROUP)
    if (held && group.length === 1) this.noWaitUntil = performance.now() + FRUITLESS_WAIT_BACKOFF_MS
    if (group.length === 0) return this.current
    this.inFlight = true
    this.current = this.write(group).finally(() => {
      this.inFlight = false
      this.lastCommitAt = performance.now()
      if (this.waiting.length > 0) {
        this.scheduled = true
        setImmediate(() => void this.run())
      }
    })
    return this.current
  }

  private async write(group: Waiting[]): Promise<void> {
    let outcomes: PublishOutcome[]
    try {
      outcomes = await this.store.publishBatch(
        group.map((w) => w.item),
        this.now(),
        IDEMPOTENCY_WINDOW_MS,
      )
    } catch (err) {
      for (const w of group) w.reject(err)
      return
    }
    this.onCommit(group.length)
    const handOff: LeasedDelivery[] = []
    let unleased = false
    group.forEach((w, i) => {
      const o = outcomes[i]!
      if (o.kind === 'error') return w.reject(o.error)
      if (o.kind === 'duplicate') return w.resolve({ created: false, event: o.event })
      const inserted = new Set(o.deliveryIds)
      for (const h of w.handOff) if (inserted.has(h.id)) handOff.push(h)
      if (w.item.deliveries.some((dl) => dl.leaseOwner === null)) unleased = true
      w.resolve({ created: true, event: o.event })
    })
    if (this.dispatcher) {
      if (handOff.length > 0) this.dispatcher.accept(handOff)
      if (unleased) this.dispatcher.wake()
    }
  }
}

/** The candidates that want this event (the same array when there are none: nothing to copy). */
const wanted = (candidates: readonly Endpoint[], input: PublishInput): readonly Endpoint[] => {
  if (candidates.length === 0) return candidates
  const channels = input.channels ?? []
  return candidates.filter((ep) => endpointWants(ep, input.type, channels))
}

export function endpointWants(ep: Endpoint, type: string, channels: readonly string[]): boolean {
  return ep.enabled && matchesEventType(ep.eventTypes, type) && matchesChannels(ep.channels, channels)
}
