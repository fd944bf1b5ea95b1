import type { Readable } from 'node:stream'
import { Agent, request } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'
import { createGuardedConnect } from '../delivery/address-guard.js'
import { createPolicyAgents } from '../delivery/policy-agents.js'
import { rootError } from '../delivery/sender.js'
import { BLOCKED_CODE } from '../delivery/url-target.js'

export interface UpstreamRequest {
  method: string
  url: string
  headers: Record<string, string | string[]>
  /** None, bytes, or a stream sent as it is read (with the content-length in `headers`, or chunked). */
  body: Buffer | Readable | null
  /**
   * How long the upstream may keep silent: for its answer's headers, counted once the request is
   * written (time spent waiting for a slow client's body does not count), and between two pieces
   * of its body while the proxy is reading it (not while a slow client holds the body back).
   */
  timeoutMs: number
  /** The route's tenant's own allowed networks, in place of the server-wide policy; absent: that policy. */
  allowedNetworks?: string[]
}

/** How the upstream answered: its status and headers, with the body still to read. */
export type UpstreamReply =
  | { kind: 'answer'; status: number; headers: Record<string, string | string[]>; body: Readable }
  | UpstreamFailure

export type UpstreamFailure = { kind: 'timeout' } | { kind: 'unreachable'; message: string }

export interface Upstream {
  /**
   * Sends the request once, never following redirects, and resolves with the answer's headers. The
   * body is the caller's to read to its end or to destroy (which aborts the upstream's request).
   */
  open(req: UpstreamRequest): Promise<UpstreamReply>
  close(): Promise<void>
}

/**
 * The gateway's HTTP client: its own undici Agent (TLS verified), whose connector applies the same
 * address policy as deliveries, after DNS resolution (delivery/address-guard.ts): a route cannot
 * reach what an endpoint of its tenant may not (a tenant with allowedNetworks of its own gets an
 * agent per distinct list, as in the sender). Nothing is buffered here: the answer comes back as a stream.
 */
export function createUpstream(policy: AddressPolicy): Upstream {
  const makeAgent = (p: AddressPolicy): Agent => new Agent({ connect: createGuardedConnect(p), connections: 64 })
  const agent = makeAgent(policy)
  const tenantAgents = createPolicyAgents(makeAgent)
  return {
    async open(req) {
      try {
        // undici's own timers, not a signal: a signal would count the whole exchange, so a long
        // answer passed on to a slow client would be cut however steadily the upstream sends it.
        // Its body timer stands still while the body is paused (backpressure).
        const res = await request(req.url, {
          method: req.method as 'GET',
          headers: req.headers,
          body: req.body,
          dispatcher: req.allowedNetworks === undefined ? agent : tenantAgents.get(req.allowedNetworks),
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
        })
        // A status code is three digits from 100 to 599 (RFC 9110 15); the parser takes any three
        // (`HTTP/1.1 700 Weird`), and no client can be answered with those: not an HTTP answer.
        if (res.statusCode < 100 || res.statusCode > 599) {
          // dump(), not destroy(): an undici body destroyed before its end emits an error, which
          // nothing would hear (an uncaught exception). dump() reads up to 128 KiB, then closes.
          await res.body.dump()
          return { kind: 'unreachable', message: `the upstream answered with status ${res.statusCode}, outside 100-599` }
        }
        return { kind: 'answer', status: res.statusCode, headers: res.headers as Record<string, string | string[]>, body: res.body }
      } catch (err) {
        return upstreamFailure(err)
      }
    },
    close: async () => {
      await Promise.all([agent.close(), tenantAgents.destroy()])
    },
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/** What an error of the upstream's request means: a timeout, or why it failed. */
function upstreamFailure(err: unknown): UpstreamFailure {
  // The error that says what went wrong, read through undici's wrappers as for deliveries.
  const e = rootError(err)
  if (TIMEOUT_CODES.has(e.code)) return { kind: 'timeout' }
  return { kind: 'unreachable', message: e.code === BLOCKED_CODE ? `blocked: ${e.message}` : e.message }
}
