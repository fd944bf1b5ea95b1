import { Agent, request } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'
import type { UpstreamOutcome } from '../core/gateway-events.js'
import { createGuardedConnect } from '../delivery/address-guard.js'
import { rootError } from '../delivery/sender.js'
import { BLOCKED_CODE } from '../delivery/url-target.js'

/** An upstream answer larger than this is not passed back (502): the proxy holds answers in memory. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024

export interface UpstreamRequest {
  method: string
  url: string
  headers: Record<string, string | string[]>
  body: Buffer | null
  timeoutMs: number
}

export interface Upstream {
  /** Sends the request once, never following redirects, and says how the upstream answered. */
  send(req: UpstreamRequest): Promise<UpstreamOutcome>
  close(): Promise<void>
}

/**
 * The gateway's HTTP client: its own undici Agent (TLS verified), whose connector applies the same
 * address policy as deliveries, after DNS resolution (delivery/address-guard.ts): a route cannot
 * reach what an endpoint may not.
 */
export function createUpstream(policy: AddressPolicy): Upstream {
  const agent = new Agent({ connect: createGuardedConnect(policy), connections: 64 })
  return {
    async send(req) {
      const signal = AbortSignal.timeout(req.timeoutMs)
      try {
        const res = await request(req.url, { method: req.method as 'GET', headers: req.headers, body: req.body, dispatcher: agent, signal })
        // A status code is three digits from 100 to 599 (RFC 9110 15); the parser takes any three
        // (`HTTP/1.1 700 Weird`), and no client can be answered with those: not an HTTP answer.
        if (res.statusCode < 100 || res.statusCode > 599) {
          // dump(), not destroy(): an undici body destroyed before its end emits an error, which
          // nothing would hear (an uncaught exception). dump() reads up to 128 KiB, then closes.
          await res.body.dump()
          return { kind: 'unreachable', message: `the upstream answered with status ${res.statusCode}, outside 100-599` }
        }
        const chunks: Buffer[] = []
        let size = 0
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length
          if (size > MAX_RESPONSE_BYTES) {
            res.body.destroy()
            return { kind: 'unreachable', message: `the upstream's answer is larger than ${MAX_RESPONSE_BYTES} bytes` }
          }
          chunks.push(chunk as Buffer)
        }
        return { kind: 'response', status: res.statusCode, headers: res.headers as Record<string, string | string[]>, body: Buffer.concat(chunks) }
      } catch (err) {
        if (signal.aborted) return { kind: 'timeout' }
        // The error that says what went wrong, read through undici's wrappers as for deliveries.
        const e = rootError(err)
        return { kind: 'unreachable', message: e.code === BLOCKED_CODE ? `blocked: ${e.message}` : e.message }
      }
    },
    close: () => agent.close(),
  }
}
