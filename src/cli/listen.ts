import { matchesEventType } from '../core/event-filter.js'
import { USER_AGENT } from '../core/shaping/outbound-request.js'
import { defaultBody } from '../core/shaping/payload-body.js'
import { generateSecret, sign } from '../core/signing/standard-webhooks.js'
import { pages, type Client } from './client.js'

interface ListedEvent {
  id: string
  type: string
  payload: unknown
  occurredAt: string
  createdAt: string
}

export interface ListenOptions {
  tenant: string
  forwardTo: string
  /** Event type patterns (`*` segments) to forward; all when absent. */
  events?: string[]
  /** The signing secret; a new one is made (and printed) when absent. */
  secret?: string
  /** Where the secret is kept between runs (listen-secrets.ts), said beside it. */
  secretFile?: string
  pollMs?: number
}

/** Events read per page while catching up; at most this many pages per look. */
const PAGE = 100
const MAX_PAGES = 10
/**
 * How far back each look reads, besides what is new. Ids sort in time order only per process, and
 * a publish becomes visible at its commit: an event from another node, or one a group commit held
 * back, may list behind one already seen. Ids forwarded within this window are remembered.
 */
const LOOK_BACK_MS = 30_000

/**
 * `hookrelay listen --tenant T --forward-to URL [--events a,b]`: forwards the tenant's new events
 * to a local URL for development, signed as a real endpoint would be (Standard Webhooks headers,
 * the default envelope) with a secret of the session's own. It reads the events API, so it works
 * against a server anywhere, which could not reach the developer's machine to deliver.
 */
export async function listen(client: Client, o: ListenOptions, out: (line: string) => void, signal: AbortSignal): Promise<void> {
  let target: URL
  try {
    target = new URL(o.forwardTo)
  } catch {
    throw new Error(`--forward-to must be an http:// or https:// URL; got ${o.forwardTo}`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`--forward-to must be an http:// or https:// URL; got ${o.forwardTo}`)
  const secret = o.secret ?? generateSecret()
  const path = `/v1/tenants/${encodeURIComponent(o.tenant)}/events`
  // Only what is published from now on: everything listed at the start counts as seen. Times are
  // the server's (createdAt), so this machine's clock does not matter.
  const seen = new Map<string, number>()
  let newest = Number.NEGATIVE_INFINITY
  const remember = (ev: ListedEvent) => {
    const at = Date.parse(ev.createdAt)
    seen.set(ev.id, at)
    newest = Math.max(newest, at)
  }
  for (const ev of await recent(client, path, Number.NEGATIVE_INFINITY)) remember(ev)
  out(`forwarding events of tenant ${o.tenant}${o.events ? ` (${o.events.join(', ')})` : ''} to ${target.href} (^C to quit)`)
  out(`webhook signing secret: ${secret}`)
  if (o.secretFile !== undefined) out(`(the same on every run for this server and tenant: kept in ${o.secretFile})`)

  while (!signal.aborted) {
    const lookFrom = newest - LOOK_BACK_MS
    let fresh: ListedEvent[] = []
    try {
      fresh = (await recent(client, path, lookFrom)).filter((ev) => !seen.has(ev.id)).reverse()
    } catch (err) {
      out(`cannot read events: ${(err as Error).message}`)
    }
    for (const ev of fresh) {
      remember(ev)
      if (o.events && !matchesEventType(o.events, ev.type)) continue
      out(await forward(target.href, secret, ev))
    }
    for (const [id, at] of seen) if (at < lookFrom - LOOK_BACK_MS) seen.delete(id)
    await sleep(o.pollMs ?? 500, signal)
  }
}

/** The events created since `since` (as far as MAX_PAGES pages reach), newest first. */
async function recent(client: Client, path: string, since: number): Promise<ListedEvent[]> {
  const found: ListedEvent[] = []
  let read = 0
  for await (const page of pages<ListedEvent>(client, path, PAGE)) {
    const inWindow = page.filter((e) => Date.parse(e.createdAt) >= since)
    found.push(...inWindow)
    if (inWindow.length < page.length || ++read === MAX_PAGES) break
  }
  return found
}

/** Waits, or less if the signal comes first; leaves no listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

async function forward(url: string, secret: string, ev: ListedEvent): Promise<string> {
  const body = defaultBody({ id: ev.id, type: ev.type, occurredAt: Date.parse(ev.occurredAt), payloadJson: JSON.stringify(ev.payload) })
  const started = Date.now()
  const ts = Math.floor(started / 1000)
  // `2026-12-06 19:55:01  --> invoice.paid evt_... [200] 12 ms`, in UTC as the API's times are.
  const line = (outcome: string) => `${new Date(started).toISOString().slice(0, 19).replace('T', ' ')}  --> ${ev.type} ${ev.id} [${outcome}] ${Date.now() - started} ms`
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': ev.id,
        'webhook-timestamp': String(ts),
        'webhook-signature': sign(secret, ev.id, ts, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    })
    await res.arrayBuffer()
    return line(String(res.status))
  } catch (err) {
    return line(`failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`)
  }
}
