import type { Client } from './client.js'
import { ApiError, pages } from './client.js'
import { progressLine } from './progress.js'
import { whoseTenant } from './whose-tenant.js'

interface Stats {
  pending: number
  failed: number
}

export interface ReplayOptions {
  endpoint: string
  /** An ISO 8601 time; default the last 24 hours (said in the output). */
  since?: string
  /** The token's own tenant, or found by looking through the tenants (admin token), when not given. */
  tenant?: string
  pollMs?: number
  /** Stop watching after this long; the deliveries go on in the background. Default 10 minutes. */
  watchMs?: number
}

export interface ReplayIo {
  out: (line: string) => void
  /** A progress line to draw over the last (a terminal); absent, progress is not shown. */
  progress?: (line: string) => void
}

/** How far back `replay` looks without `--since`. */
const DEFAULT_SINCE_MS = 24 * 60 * 60 * 1000

/**
 * `hookrelay replay --endpoint EP [--since ISO]`: re-queues the endpoint's failed deliveries since
 * then (the `recover` API) and follows them until each has had its attempt, with a progress bar on
 * a terminal. Progress is read from the endpoint's stats over the same period: the recovered
 * deliveries are pending until their one attempt, then succeeded or failed again.
 */
export async function replay(client: Client, o: ReplayOptions, io: ReplayIo): Promise<void> {
  const at = o.since === undefined ? Date.now() - DEFAULT_SINCE_MS : Date.parse(o.since)
  if (Number.isNaN(at)) throw new Error(`--since must be an ISO 8601 time, such as 2026-11-01T00:00:00Z; got ${o.since}`)
  const since = new Date(at).toISOString()
  // Without --since, the output says how far back it looked, and how to look further.
  const period = o.since === undefined ? `${since} (the last 24 hours; --since to go further back)` : since
  const tenant = (await whoseTenant(client, o.tenant)) ?? (await findTenant(client, o.endpoint))
  const base = `/v1/tenants/${encodeURIComponent(tenant)}/endpoints/${encodeURIComponent(o.endpoint)}`
  const stats = () => client.call<Stats>('GET', `${base}/stats?since=${encodeURIComponent(since)}`)

  const before = await stats()
  const { count } = await client.call<{ count: number }>('POST', `${base}/recover`, { since })
  if (count === 0) {
    io.out(`nothing to replay: endpoint ${o.endpoint} has no failed deliveries since ${period}`)
    return
  }
  io.out(`replaying ${count} failed ${count === 1 ? 'delivery' : 'deliveries'} of endpoint ${o.endpoint} since ${period}`)
  const deadline = Date.now() + (o.watchMs ?? 10 * 60_000)
  // The recovered deliveries left `failed` for `pending`; those failing again come back.
  const failedBase = before.failed - count
  for (;;) {
    const now = await stats()
    const waiting = Math.max(0, now.pending - before.pending)
    const failedAgain = Math.max(0, now.failed - failedBase)
    io.progress?.(progressLine(count - waiting, count, failedAgain))
    if (waiting === 0) {
      io.out(`replayed ${count}: ${count - failedAgain} delivered, ${failedAgain} failed again`)
      return
    }
    if (Date.now() >= deadline) {
      io.out(`${waiting} still pending; they go on in the background`)
      return
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500))
  }
}

/** The tenant an endpoint belongs to, looked for tenant by tenant (needs the admin token). */
async function findTenant(client: Client, endpoint: string): Promise<string> {
  try {
    for await (const tenants of pages<{ id: string }>(client, '/v1/tenants', 250)) {
      for (const t of tenants) {
        try {
          await client.call('GET', `/v1/tenants/${encodeURIComponent(t.id)}/endpoints/${encodeURIComponent(endpoint)}`)
          return t.id
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err
        }
      }
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) throw new Error('pass --tenant: with a tenant API key, the endpoint is looked for in that tenant only')
    throw err
  }
  throw new Error(`no tenant has an endpoint ${endpoint}`)
}
