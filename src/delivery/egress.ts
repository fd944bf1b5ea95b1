/**
 * How a delivery's request leaves the process: straight to the receiver through the guarded
 * connector, or through the operator's HTTP proxy (HOOKRELAY_EGRESS_PROXY), so receivers can
 * allowlist the proxy's fixed addresses.
 *
 * Through the proxy the SSRF guard still judges the real target, before the proxy is asked:
 * - https: the target's name is resolved and every address checked here, then the proxy is asked
 *   to `CONNECT` to a checked address (not the name, which the proxy would resolve again: DNS
 *   rebinding), and TLS runs end to end through the tunnel with the name as SNI and for the
 *   certificate check (RFC 9110 §9.3.6). Tunnels are pooled and kept alive per target origin.
 * - http: the target is resolved and checked, then the request goes to the proxy in absolute form
 *   (RFC 9112 §3.2.2) over kept-alive connections to the proxy. The absolute URI carries the name,
 *   so that the receiver sees its own Host; the proxy resolves it again, which leaves a rebinding
 *   window for plain http only (HOOKRELAY_REQUIRE_HTTPS closes it).
 * The proxy itself is the operator's and is not subject to the guard.
 */
import type dns from 'node:dns'
import type { Socket } from 'node:net'
import { Agent, Pool, buildConnector, type Dispatcher } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'
import { createGuardedConnect, createTargetCheck, type GuardedConnectOptions, type TargetCheck } from './address-guard.js'
import { createLeanAgent } from './lean-http.js'

/** Where a request goes: the parts of its URL (sender.ts parses each distinct URL once). */
export interface EgressTarget {
  /** `http:` or `https:`. */
  protocol: string
  origin: string
  /** Host and port as in the URL (`[::1]:8080`). */
  host: string
  /** As `URL.hostname`: an IPv6 literal keeps its brackets. */
  hostname: string
  /** Path and query string. */
  path: string
}

export interface EgressRequest {
  method: string
  /** An object, or a flat list of names and values as undici takes it (the sender thread's). */
  headers: Record<string, string> | string[]
  body: string | null
  headersTimeout: number
  bodyTimeout: number
}

export interface Egress {
  /** Starts the request; `fail` is told of a refusal before anything was dispatched. */
  dispatch(url: EgressTarget, req: EgressRequest, handler: Dispatcher.DispatchHandler, fail: (err: unknown) => void): void
  /** Closes once the requests under way have finished (a tenant's egress pushed out of the sender's pool). */
  close(): Promise<void>
  destroy(): Promise<void>
}

export interface EgressOptions {
  policy: AddressPolicy
  connections: number
  connect?: GuardedConnectOptions
  /** http://host:port (credentials in it become Proxy-Authorization: Basic). Default none: direct. */
  proxy?: string | null
  /**
   * The direct egress's client: the lean one (lean-http.ts), or undici's Agent, kept to compare
   * against (bench/lean-cost.ts). Default lean. The proxied egress always uses undici.
   */
  directClient?: 'lean' | 'undici'
}

export function createEgress(opts: EgressOptions): Egress {
  // The lean agent is an Egress as it stands: it throws rather than calling `fail`, as undici's dispatch does.
  if (!opts.proxy && opts.directClient !== 'undici') return createLeanAgent({ connect: createGuardedConnect(opts.policy, opts.connect), connections: opts.connections })
  if (!opts.proxy) {
    const agent = new Agent({ connect: createGuardedConnect(opts.policy, opts.connect), connections: opts.connections, pipelining: 1 })
    return {
      dispatch(url, req, handler) {
        agent.dispatch({ origin: url.origin, path: url.path, method: req.method, headers: req.headers, body: req.body, headersTimeout: req.headersTimeout, bodyTimeout: req.bodyTimeout }, handler)
      },
      close: () => agent.close(),
      destroy: () => agent.destroy(),
    }
  }
  return proxiedEgress(opts, new URL(opts.proxy))
}

/** An error the proxy answered with: a network failure of the attempt (retried). */
export class ProxyRefusedError extends Error {
  readonly code = 'HOOKRELAY_PROXY_REFUSED'
  override name = 'ProxyRefusedError'
}

function proxiedEgress(opts: EgressOptions, proxy: URL): Egress {
  const connectTimeout = opts.connect?.connectTimeoutMs ?? 10_000
  const check = createTargetCheck(opts.policy, opts.connect)
  const auth: Record<string, string> = proxy.username
    ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` }
    : {}
  const toProxy = buildConnector({ timeout: connectTimeout })
  // Absolute-form requests for http targets, kept alive to the proxy.
  const forward = new Pool(proxy.origin, { connect: toProxy, connections: opts.connections, pipelining: 1 })
  // CONNECT requests; each one's connection becomes a tunnel and leaves this pool.
  const tunnels = new Pool(proxy.origin, { connect: toProxy, connections: opts.connections, headersTimeout: connectTimeout })
  const tls = buildConnector({ ...opts.connect?.tls, timeout: connectTimeout })
  const secure = new Agent({ connect: tunnelConnect(check, tunnels, tls, auth), connections: opts.connections, pipelining: 1 })

  return {
    dispatch(url, req, handler, fail) {
      if (url.protocol === 'https:') {
        secure.dispatch({ origin: url.origin, path: url.path, ...req }, handler)
        return
      }
      check(url.hostname, (err) => {
        if (err !== null) return fail(err)
        try {
          forward.dispatch(
            { ...req, origin: proxy.origin, path: `${url.origin}${url.path}`, headers: { ...headerObject(req.headers), host: url.host, ...auth } },
            handler,
          )
        } catch (error) {
          fail(error)
        }
      })
    },
    async close() {
      await Promise.all([secure.close(), forward.close(), tunnels.close()])
    },
    async destroy() {
      await Promise.all([secure.destroy(), forward.destroy(), tunnels.destroy()])
    },
  }
}

/**
 * undici's connector for https origins through the proxy: resolve and judge the target, CONNECT
 * to a checked address (the next one if the proxy cannot reach it), then TLS over the tunnel.
 */
function tunnelConnect(check: TargetCheck, tunnels: Pool, tls: buildConnector.connector, auth: Record<string, string>): buildConnector.connector {
  return (options, callback) => {
    check(options.hostname, (err, addresses) => {
      if (err !== null) return callback(err, null)
      const port = Number(options.port) || 443
      const at = (i: number): void => {
        const { address } = addresses[i] as dns.LookupAddress
        const authority = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
        tunnels.connect({ path: authority, headers: { host: authority, ...auth } }).then(
          ({ statusCode, socket }) => {
            if (statusCode === 200) {
              // The name stays the TLS server name (SNI and the certificate check); an IP literal has none.
              const servername = options.servername || (address === options.hostname ? undefined : options.hostname)
              tls({ ...options, hostname: address, servername, httpSocket: socket as Socket }, callback)
              return
            }
            socket.destroy()
            if (i + 1 < addresses.length) at(i + 1)
            else callback(new ProxyRefusedError(`the egress proxy answered ${statusCode} to CONNECT ${authority}`), null)
          },
          (error: Error) => callback(error, null),
        )
      }
      at(0)
    })
  }
}

/** Headers as an object, whichever form they came in (a later name wins, as in an object literal). */
function headerObject(headers: Record<string, string> | string[]): Record<string, string> {
  if (!Array.isArray(headers)) return headers
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < headers.length; i += 2) out[headers[i]!] = headers[i + 1]!
  return out
}
