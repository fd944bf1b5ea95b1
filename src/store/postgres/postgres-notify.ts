import pg from 'pg'
import { sql, type Kysely } from 'kysely'
import type { Database } from '../schema.js'

/**
 * Wake-ups across processes (DESIGN.md: "across nodes on PostgreSQL, LISTEN/NOTIFY"). Whatever
 * makes deliveries due for any worker (a publish that leased nothing to its own node, a release,
 * a manual retry, a recovery) sends a NOTIFY on this channel in its transaction, so it arrives at
 * commit; every listening worker then claims. Workers still arm a timer for the next due retry, so a
 * notification lost to a reconnect costs a delay, never a delivery.
 */
export const DUE_CHANNEL = 'hookrelay_due'

/** Queues the notification in the caller's transaction (sent when it commits). */
export async function notifyDue(db: Kysely<Database>): Promise<void> {
  await sql`SELECT pg_notify(${DUE_CHANNEL}, '')`.execute(db)
}

/** How long to wait before connecting again after the listening connection is lost. */
const RECONNECT_MS = 1000

/**
 * Attempts as they are recorded, for live streams (services/attempt-feed.ts): each payload a JSON
 * array of notices. A notification lost to a reconnect costs a stream that attempt, nothing else.
 */
export const ATTEMPTS_CHANNEL = 'hookrelay_attempts'

/** Sends each payload as one notification on `channel`, in one statement. */
export async function notifyPayloads(db: Kysely<Database>, channel: string, payloads: string[]): Promise<void> {
  if (payloads.length === 0) return
  await sql`SELECT pg_notify(${channel}, p) FROM unnest(${payloads}::text[]) AS p`.execute(db)
}

/**
 * Calls `onWake` for notifications on the due-work channel, coalesced to one call per tick, and
 * once after reconnecting, for whatever was notified meanwhile. Resolves once listening.
 */
export async function listenForDueWork(url: string, onWake: () => void): Promise<() => Promise<void>> {
  let pending = false
  const wake = () => {
    if (pending) return
    pending = true
    setImmediate(() => {
      pending = false
      onWake()
    })
  }
  let stopped = false
  const stop = await listenOn(url, DUE_CHANNEL, () => !stopped && wake(), () => !stopped && wake())
  return async () => {
    stopped = true
    await stop()
  }
}

/**
 * Listens on `channel` on its own connection (LISTEN holds a session, so not one from the pool)
 * and calls `onPayload` with each notification's payload. Reconnects when the connection drops,
 * then calls `onReconnected`. Resolves once listening, to a stop function.
 */
export async function listenOn(url: string, channel: string, onPayload: (payload: string) => void, onReconnected: () => void = () => {}): Promise<() => Promise<void>> {
  let client: pg.Client | null = null
  let closed = false
  let retry: NodeJS.Timeout | null = null
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url })
    c.on('notification', (n) => {
      if (!closed && n.channel === channel) onPayload(n.payload ?? '')
    })
    const lost = () => {
      if (closed || client !== c) return
      client = null
      void c.end().catch(() => {})
      reconnect()
    }
    c.on('error', lost)
    c.on('end', lost)
    client = c
    try {
      await c.connect()
      await c.query(`LISTEN ${channel}`)
    } catch (err) {
      client = null
      void c.end().catch(() => {})
      throw err
    }
  }
  const reconnect = () => {
    if (closed) return
    retry = setTimeout(() => {
      retry = null
      connect().then(() => {
        if (!closed) onReconnected()
      }, reconnect)
    }, RECONNECT_MS)
    retry.unref()
  }
  await connect()
  return async () => {
    closed = true
    if (retry) clearTimeout(retry)
    const c = client
    client = null
    await c?.end().catch(() => {})
  }
}
