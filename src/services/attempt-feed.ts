import type { Attempt, DeliveryStatus } from '../core/model.js'
import type { NoticeChannel } from '../store/store.js'

/** One attempt as `GET .../deliveries/stream` tells it (API.md, "Events and deliveries"), with its tenant. */
export interface AttemptNotice {
  tenantId: string
  deliveryId: string
  eventId: string
  eventType: string
  endpointId: string
  attemptId: string
  attemptNumber: number
  trigger: Attempt['trigger']
  success: boolean
  /** The response's HTTP status; null when none came (timeout, network, blocked, template). */
  status: number | null
  /** The delivery's status once this attempt was recorded. */
  deliveryStatus: DeliveryStatus
  errorKind: string | null
  durationMs: number
  /** Epoch ms. */
  startedAt: number
}

export const attemptNotice = (a: Attempt, eventId: string, eventType: string, deliveryStatus: DeliveryStatus): AttemptNotice => ({
  tenantId: a.tenantId,
  deliveryId: a.deliveryId,
  eventId,
  eventType,
  endpointId: a.endpointId,
  attemptId: a.id,
  attemptNumber: a.attemptNumber,
  trigger: a.trigger,
  success: a.success,
  status: a.response?.status ?? null,
  deliveryStatus,
  errorKind: a.error?.kind ?? null,
  durationMs: a.durationMs,
  startedAt: a.startedAt,
})

/** NOTIFY payloads are limited to 8000 bytes; notices are packed into arrays below that. */
const MAX_PAYLOAD_BYTES = 7000

type Listener = (n: AttemptNotice) => void

/**
 * Attempts as they are recorded, for the tenants' live streams. Whoever records attempts (the
 * dispatcher, test sends) calls `record`; streams `subscribe`. On SQLite that is one process and
 * the notices go straight to the subscribers. With a channel (PostgreSQL) they go out through it,
 * and every api process that has subscribers listens, this one included, so an attempt made by a
 * `--role worker` process reaches a stream served by a `--role api` one.
 */
export class AttemptFeed {
  private readonly listeners = new Map<string, Set<Listener>>()
  private listening: Promise<() => Promise<void>> | null = null

  constructor(
    private readonly channel: NoticeChannel | null,
    private readonly warn: (message: string) => void,
  ) {}

  record(notices: AttemptNotice[]): void {
    if (notices.length === 0) return
    if (this.channel === null) return this.deliver(notices)
    this.channel.send(pack(notices)).catch((e: unknown) => this.warn(`live attempt notices were not sent: ${(e as Error).message}`))
  }

  /** Calls `listener` with each attempt of the tenant from now on; resolves, once that holds, to an unsubscribe function. */
  async subscribe(tenantId: string, listener: Listener): Promise<() => void> {
    if (this.channel !== null) {
      const channel = this.channel
      this.listening ??= channel.listen((payload) => this.deliver(JSON.parse(payload) as AttemptNotice[]))
      try {
        await this.listening
      } catch (err) {
        this.listening = null
        throw err
      }
    }
    let set = this.listeners.get(tenantId)
    if (!set) this.listeners.set(tenantId, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.listeners.get(tenantId) === set) this.listeners.delete(tenantId)
    }
  }

  private deliver(notices: AttemptNotice[]): void {
    for (const n of notices) {
      const set = this.listeners.get(n.tenantId)
      if (set) for (const l of set) l(n)
    }
  }

  async close(): Promise<void> {
    const listening = this.listening
    this.listening = null
    if (listening) await (await listening.catch(() => async () => {}))()
  }
}

/** JSON arrays of notices, each under the channel's payload limit. */
function pack(notices: AttemptNotice[]): string[] {
  const out: string[] = []
  let parts: string[] = []
  let size = 2
  for (const n of notices) {
    const text = JSON.stringify(n)
    if (parts.length > 0 && size + text.length + 1 > MAX_PAYLOAD_BYTES) {
      out.push(`[${parts.join(',')}]`)
      parts = []
      size = 2
    }
    parts.push(text)
    size += text.length + 1
  }
  if (parts.length > 0) out.push(`[${parts.join(',')}]`)
  return out
}
