import { eventStream } from '../event-stream.js'
import { HookrelayError } from '../hookrelay-error.js'
import { paginate } from '../paginate.js'
import type { ServerSentEvent } from '../sse-parser.js'
import type { Transport } from '../transport.js'
import type { AttemptNotice, AttemptStreamQuery, Delivery, DeliveryDetail, ListQuery } from '../types.js'
import { tenantPath } from './path.js'

export interface AttemptStreamOptions extends AttemptStreamQuery {
  /** Ends the stream (the iteration finishes without an error) and closes its connection. */
  signal?: AbortSignal
  /**
   * A connection that brings nothing for this long, not even the heartbeat the server sends at
   * least every 15 s, is dropped and opened again. Default 45000.
   */
  idleTimeoutMs?: number
  /** Failed attempts in a row to reconnect before the iteration throws. Default 10. */
  maxReconnects?: number
}

/** The `attempt` events of the stream, parsed; other events (none today) and comments are skipped. */
async function* attempts(events: AsyncIterable<ServerSentEvent>): AsyncGenerator<AttemptNotice, void, undefined> {
  for await (const e of events) {
    if (e.event !== 'attempt') continue
    let attempt: AttemptNotice
    try {
      attempt = JSON.parse(e.data) as AttemptNotice
    } catch {
      throw new HookrelayError({ status: 200, code: 'unexpected_response', detail: `An attempt event whose data is not JSON: ${e.data.slice(0, 200)}` })
    }
    yield attempt
  }
}

export class Deliveries {
  constructor(private readonly t: Transport) {}

  /** Newest first; filter by endpointId, eventId, eventType, status, since, until. */
  list(tenantId: string, query: ListQuery<'listDeliveries'> = {}): AsyncIterable<Delivery> {
    return paginate((cursor) => this.t.request({ method: 'GET', path: tenantPath(tenantId, 'deliveries'), query: { ...query, cursor }, retry: true }))
  }

  /** The delivery with every attempt. */
  get(tenantId: string, deliveryId: string): Promise<DeliveryDetail> {
    return this.t.request({ method: 'GET', path: tenantPath(tenantId, 'deliveries', deliveryId), retry: true })
  }

  /** One more attempt now, whatever its status. Not retried by the client: each call is one more attempt. */
  retry(tenantId: string, deliveryId: string): Promise<Delivery> {
    return this.t.request({ method: 'POST', path: tenantPath(tenantId, 'deliveries', deliveryId, 'retry'), retry: false })
  }

  /**
   * Each attempt of the tenant as it is recorded (by any node), live, for as long as the loop runs:
   *
   *   for await (const attempt of hr.deliveries.stream(tenantId, { endpointId, signal })) { ... }
   *
   * `break` or the signal closes the connection. A dropped or silent connection is opened again
   * (attempts made while it was down are not replayed: list them with `deliveries.list`); a 401,
   * 403 or 404, or `maxReconnects` failed reconnections in a row, throw HookrelayError.
   */
  stream(tenantId: string, options: AttemptStreamOptions = {}): AsyncIterable<AttemptNotice> {
    const { signal, idleTimeoutMs = 45_000, maxReconnects = 10, ...query } = options
    const path = tenantPath(tenantId, 'deliveries', 'stream')
    const events = eventStream((headers, s) => this.t.open({ path, query }, { accept: 'text/event-stream', ...headers }, s), {
      ...(signal === undefined ? {} : { signal }),
      idleTimeoutMs,
      maxReconnects,
      retryBaseMs: this.t.retryBaseMs,
    })
    return attempts(events)
  }
}
