import type { Endpoint, JsonObject } from '../core/model.js'
import type { SettledDelivery } from '../delivery/dispatcher.js'
import type { Store } from '../store/store.js'
import type { EndpointDirectory } from './endpoint-directory.js'
import type { Publisher } from './publisher.js'

export const OPERATOR_TENANT = '_operator'

/**
 * Endpoint health and the operator's webhooks, judged as deliveries settle: `delivery.failed` for
 * each delivery that ends failed; `endpoint.disabled` on a 410 or when a delivery ends failed more
 * than `disableAfterMs` after its endpoint's failure streak began (the streak begins at the first
 * failed attempt, retried or not, and a success ends it); `endpoint.recovered` on the first success
 * after a streak the operator was told about. The operator tenant's own endpoints raise no
 * operational events.
 */
export class EndpointHealth {
  /**
   * endpointId -> its failure streak as this process last wrote it, with the endpoint's updatedAt
   * after that write. A snapshot the dispatcher took before the write is older and loses to it; a
   * change made since (re-enabling clears the streak) is newer and wins.
   */
  private readonly streaks = new Map<string, Streak>()
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly store: Store,
    private readonly directory: EndpointDirectory,
    private readonly publisher: Publisher,
    private readonly disableAfterMs: number,
    private readonly now: () => number = Date.now,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Called by the dispatcher with each settled batch; work is serialized per process. */
  readonly observe = (batch: SettledDelivery[]): void => {
    // Retries count too: a streak starts at its first failed attempt, not when a delivery gives up.
    const relevant = batch.filter((b) => b.applied && b.attempt !== null && b.target !== null)
    if (relevant.length === 0) return
    this.chain = this.chain.then(() => this.handle(relevant)).catch(this.onError)
  }

  /** Resolves once everything observed so far has been handled (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain
  }

  private async handle(batch: SettledDelivery[]): Promise<void> {
    for (const b of batch) {
      const ep = b.target!.endpoint
      const streak = this.streakOf(ep)
      const since = streak.since
      const notify = ep.tenantId !== OPERATOR_TENANT
      const base = { tenantId: ep.tenantId, endpointId: ep.id }
      if (b.step.kind === 'retry') {
        if (since === null) await this.setFailing(ep.tenantId, ep.id, this.now(), false)
        continue
      }
      if (b.step.kind === 'succeeded') {
        if (since === null) continue
        await this.setFailing(ep.tenantId, ep.id, null, false)
        // A retry that failed and then went through is not news to an operator who heard nothing.
        if (notify && streak.reported) await this.emit('endpoint.recovered', { ...base, reason: 'delivery succeeded after failures', failingSince: iso(since) })
        continue
      }
      const lastStatusCode = b.attempt!.response?.status
      if (notify) {
        await this.emit('delivery.failed', {
          ...base,
          deliveryId: b.due.id,
          eventId: b.due.eventId,
          eventType: b.due.eventType,
          reason: b.step.reason,
          ...(lastStatusCode !== undefined ? { lastStatusCode } : {}),
        })
      }
      const now = this.now()
      const streakStart = since ?? now
      let disableReason: string | null = null
      if (b.step.disableEndpoint) disableReason = 'the endpoint answered 410 Gone'
      else if (since !== null && now - since > this.disableAfterMs) disableReason = `failing continuously since ${iso(since)}`
      if (disableReason === null) {
        if (since === null) await this.setFailing(ep.tenantId, ep.id, now, true)
        else this.streaks.set(ep.id, { ...streak, reported: true })
        continue
      }
      if (!ep.enabled) continue
      const updated = await this.store.updateEndpoint(null, ep.id, { enabled: false, disabledReason: disableReason, failingSince: streakStart }, now)
      this.remember(ep.id, streakStart, true, updated)
      this.directory.invalidate(ep.tenantId, ep.id)
      if (updated && notify) {
        await this.emit('endpoint.disabled', {
          ...base,
          reason: disableReason,
          ...(lastStatusCode !== undefined ? { lastStatusCode } : {}),
          failingSince: iso(streakStart),
        })
      }
    }
  }

  /** The endpoint's streak: this process's own record unless the endpoint changed since it was written. */
  private streakOf(ep: Endpoint): Streak {
    const known = this.streaks.get(ep.id)
    if (known !== undefined && ep.updatedAt <= known.writtenAt) return known
    // Not written by this process (or changed since): a stored streak may have been reported
    // before a restart, so it counts as reported.
    return { since: ep.failingSince, writtenAt: ep.updatedAt, reported: ep.failingSince !== null }
  }

  private async setFailing(tenantId: string, endpointId: string, since: number | null, reported: boolean): Promise<void> {
    const updated = await this.store.updateEndpoint(null, endpointId, { failingSince: since }, this.now())
    this.remember(endpointId, since, reported, updated)
    this.directory.invalidate(tenantId, endpointId)
  }

  private remember(endpointId: string, since: number | null, reported: boolean, updated: Endpoint | null): void {
    if (updated === null) this.streaks.delete(endpointId) // deleted meanwhile
    else this.streaks.set(endpointId, { since, writtenAt: updated.updatedAt, reported })
  }

  private async emit(type: string, payload: JsonObject): Promise<void> {
    await this.publisher.publish(OPERATOR_TENANT, { type, payload })
  }
}

interface Streak {
  /** When the first failed attempt of the streak was recorded; null while healthy. */
  since: number | null
  /** The endpoint's updatedAt as of this record. */
  writtenAt: number
  /** Whether a delivery of this streak ended failed (the operator heard of it). */
  reported: boolean
}

const iso = (ms: number): string => new Date(ms).toISOString()
