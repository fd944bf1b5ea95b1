import type { JsonObject } from '../core/model.js'
import type { SettledDelivery } from '../delivery/dispatcher.js'
import type { Store } from '../store/store.js'
import type { EndpointDirectory } from './endpoint-directory.js'
import type { Publisher } from './publisher.js'

export const OPERATOR_TENANT = '_operator'

/**
 * Endpoint health and the operator's webhooks, judged as deliveries settle: `delivery.failed` for
 * each delivery that ends failed; `endpoint.disabled` on a 410 or when a failure ends a streak
 * (no success in between) longer than `disableAfterMs`; `endpoint.recovered` on the first
 * success after failures. The operator tenant's own endpoints raise no operational events.
 */
export class EndpointHealth {
  /** endpointId -> start of its failure streak, as this process knows it (null: healthy). */
  private readonly failing = new Map<string, number | null>()
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
    const relevant = batch.filter((b) => b.applied && b.attempt !== null && b.target !== null && b.step.kind !== 'retry')
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
      const since = this.failing.has(ep.id) ? this.failing.get(ep.id)! : ep.failingSince
      const notify = ep.tenantId !== OPERATOR_TENANT
      const base = { tenantId: ep.tenantId, endpointId: ep.id }
      if (b.step.kind === 'succeeded') {
        if (since === null) continue
        await this.setFailing(ep.tenantId, ep.id, null)
        if (notify) await this.emit('endpoint.recovered', { ...base, reason: 'delivery succeeded after failures', failingSince: iso(since) })
        continue
      }
      if (b.step.kind !== 'failed') continue
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
        if (since === null) await this.setFailing(ep.tenantId, ep.id, now)
        continue
      }
      if (!ep.enabled) continue
      const updated = await this.store.updateEndpoint(null, ep.id, { enabled: false, disabledReason: disableReason, failingSince: streakStart }, now)
      this.failing.set(ep.id, streakStart)
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

  private async setFailing(tenantId: string, endpointId: string, since: number | null): Promise<void> {
    this.failing.set(endpointId, since)
    await this.store.updateEndpoint(null, endpointId, { failingSince: since }, this.now())
    this.directory.invalidate(tenantId, endpointId)
  }

  private async emit(type: string, payload: JsonObject): Promise<void> {
    await this.publisher.publish(OPERATOR_TENANT, { type, payload })
  }
}

const iso = (ms: number): string => new Date(ms).toISOString()
