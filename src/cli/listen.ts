import { matchesEventType } from '../core/event-filter.js'
import { defaultBody } from '../core/shaping/payload-body.js'
import { generateSecret, sign } from '../core/signing/standard-webhooks.js'
import { VERSION } from '../version.js'
import type { Client } from './client.js'

interface ListedEvent {
  id: string
  type: string
  payload: unknown
  occurredAt: string
}

export interface ListenOptions {
  tenant: string
  forwardTo: string
  /** Event type patterns (`*` segments) to forward; all when absent. */
  events?: string[]
  /** The signing secret; a new one is made (and printed) when absent. */
  secret?: string
  pollMs?: number
}

/** Events read per page while catching up; at most this many pages per look. */
const PAGE = 100
const MAX_PAGES = 10

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
  // Only what is published from now on: the newest event so far is where reading starts.
  let last = (await client.call<{ data: ListedEvent[] }>('GET', `${path}?limit=1`)).data[0]?.id ?? ''
  out(`forwarding events of tenant ${o.tenant}${o.events ? ` (${o.events.join(', ')})` : ''} to ${target.href}`)
  out(`webhook signing secret: ${secret}`)

  while (!signal.aborted) {
    let fresh: ListedEvent[] = []
    try {
      fresh = await newerThan(client, path, last)
    } catch (err) {
      out(`cannot read events: ${(err as Error).message}`)
    }
    for (const ev of fresh) {
      last = ev.id
      if (o.events && !matchesEventType(o.events, ev.type)) continue
      out(await forward(target.href, secret, ev))
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.pollMs ?? 500)
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
    })
  }
}

/** Events with ids after `last` (ids sort in time order), oldest first. */
async function newerThan(client: Client, path: string, last: string): Promise<ListedEvent[]> {
  const found: ListedEvent[] = []
  let cursor: string | null = null
  for (let i = 0; i < MAX_PAGES; i++) {
    const page: { data: ListedEvent[]; nextCursor: string | null } = await client.call('GET', `${path}?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    const newer = page.data.filter((e) => e.id > last)
    found.push(...newer)
    if (newer.length < page.data.length || page.nextCursor === null) break
    cursor = page.nextCursor
  }
  return found.reverse()
}

async function forward(url: string, secret: string, ev: ListedEvent): Promise<string> {
  const body = defaultBody({ id: ev.id, type: ev.type, occurredAt: Date.parse(ev.occurredAt), payloadJson: JSON.stringify(ev.payload) })
  const ts = Math.floor(Date.now() / 1000)
  const time = new Date().toISOString().slice(11, 19)
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': `hookrelay/${VERSION}`,
        'webhook-id': ev.id,
        'webhook-timestamp': String(ts),
        'webhook-signature': sign(secret, ev.id, ts, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    })
    await res.arrayBuffer()
    return `${time} --> ${ev.type} ${ev.id} [${res.status}]`
  } catch (err) {
    return `${time} --> ${ev.type} ${ev.id} [failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}]`
  }
}
