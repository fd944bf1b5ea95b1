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
 * Listens on its own connection (LISTEN holds a session, so not one from the pool) and calls
 * `onWake` for notifications, coalesced to one call per tick. Reconnects when the connection drops,
 * and wakes once after reconnecting, for whatever was notified meanwhile. Resolves once listening.
 */
export async function listenForDueWork(url: string, onWake: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null
  let closed = false
  let pending = false
  let retry: NodeJS.Timeout | null = null
  const wake = () => {
    if (pending) return
    pending = true
    setImmediate(() => {
      pending = false
      if (!closed) onWake()
    })
  }
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url })
    c.on('notification', wake)
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
      await c.query(`LISTEN ${DUE_CHANNEL}`)
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
      connect().then(wake, reconnect)
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
