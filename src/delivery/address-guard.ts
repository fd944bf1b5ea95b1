/**
 * The SSRF guard. It lives in undici's connector, so it judges the address a socket is actually
 * opened to, after DNS resolution: a check on the URL alone or in a DNS `lookup` hook misses IP
 * literals (`127.0.0.1`, `[::ffff:127.0.0.1]`) and DNS rebinding (a name that resolves to a public
 * address at creation time and to a private one at delivery time).
 */
import dns from 'node:dns'
import net from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { buildConnector } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'

/** The `code` of the error the guard refuses a connection with. */
export const BLOCKED_CODE = 'HOOKRELAY_BLOCKED'

export class BlockedAddressError extends Error {
  readonly code = BLOCKED_CODE
  constructor(
    readonly address: string,
    readonly hostname: string,
    readonly reason: string,
  ) {
    // The policy's reason usually names the address already ("127.0.0.1 is a loopback address").
    const detail = reason.includes(address) ? reason : `${address}: ${reason}`
    super(`address not allowed: ${detail}${hostname === address ? '' : ` (resolved from ${hostname})`}`)
    this.name = 'BlockedAddressError'
  }
}

/** Resolves every address of a name, like `dns.lookup(name, { all: true }, cb)`. */
export type LookupAll = (
  hostname: string,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void

export interface GuardedConnectOptions {
  /** TCP (and TLS handshake) time limit per connection, in ms. Default 10000 (undici's). */
  connectTimeoutMs?: number
  /** DNS resolution time limit, in ms; `dns.lookup` itself has none. Default 5000. */
  lookupTimeoutMs?: number
  /** The resolver. Default `dns.lookup` with `all: true`. */
  lookup?: LookupAll
  /** Extra TLS options (e.g. `ca` for a private CA). Default none. */
  tls?: ConnectionOptions
}

const defaultLookup: LookupAll = (hostname, callback) => {
  dns.lookup(hostname, { all: true }, callback)
}

/**
 * Connect failures after which the next resolved address is tried (a name with both an IPv6 and an
 * IPv4 address whose receiver listens on one family only). Slow failures (timeouts) and TLS
 * failures are not retried: they would only repeat.
 */
const TRY_NEXT_ADDRESS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

/**
 * An undici `connect` function that resolves the hostname (or takes the IP literal), checks every
 * address with `policy`, refuses the whole name with a `BlockedAddressError` (`code`
 * `'HOOKRELAY_BLOCKED'`) if any address is refused, and otherwise connects to a checked address,
 * with the hostname as TLS `servername` so SNI and certificate checks still use the name.
 */
export function createGuardedConnect(
  policy: AddressPolicy,
  opts: GuardedConnectOptions = {},
): buildConnector.connector {
  const base = buildConnector({ ...opts.tls, timeout: opts.connectTimeoutMs ?? 10_000 })
  const lookup = opts.lookup ?? defaultLookup
  const lookupTimeoutMs = opts.lookupTimeoutMs ?? 5_000

  return function guardedConnect(options, callback) {
    // undici strips the brackets of an IPv6 literal before calling the connector.
    const hostname = options.hostname
    if (net.isIP(hostname) !== 0) {
      const verdict = policy.check(hostname)
      if (!verdict.allowed) {
        // Asynchronously, as a real connect failure would be: undici's client is not re-entrant here.
        const err = new BlockedAddressError(hostname, hostname, verdict.reason)
        process.nextTick(callback, err, null)
        return
      }
      base(options, callback)
      return
    }

    resolveAll(lookup, hostname, lookupTimeoutMs, (err, addresses) => {
      if (err !== null) {
        callback(err, null)
        return
      }
      for (const { address } of addresses) {
        const verdict = policy.check(address)
        if (!verdict.allowed) {
          callback(new BlockedAddressError(address, hostname, verdict.reason), null)
          return
        }
      }
      const servername = options.servername || hostname
      const connectAt = (i: number): void => {
        // Every address was checked above; `addresses` is non-empty (resolveAll guarantees it).
        const address = (addresses[i] as dns.LookupAddress).address
        base({ ...options, hostname: address, servername }, (error, socket) => {
          if (error === null) {
            callback(null, socket)
          } else if (i + 1 < addresses.length && TRY_NEXT_ADDRESS.has(errorCode(error))) {
            connectAt(i + 1)
          } else {
            callback(error, null)
          }
        })
      }
      connectAt(0)
    })
  }
}

export type UrlTargetCheck = { ok: true } | { ok: false; reason: string }

/**
 * Creation-time validation of an endpoint URL (422 when refused). An IP literal is checked
 * directly; a name is resolved and refused if any of its addresses is. A name that does not
 * resolve, or not within `lookupTimeoutMs`, passes: its deliveries will fail and be recorded, and
 * the guard checks again at connect time. The scheme is the caller's to check.
 */
export async function checkUrlTarget(
  url: string,
  policy: AddressPolicy,
  lookupTimeoutMs = 2000,
  lookup: LookupAll = defaultLookup,
): Promise<UrlTargetCheck> {
  let hostname: string
  try {
    hostname = new URL(url).hostname
  } catch {
    return { ok: false, reason: 'invalid URL' }
  }
  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1)
  if (hostname === '') return { ok: false, reason: 'URL has no host' }

  if (net.isIP(hostname) !== 0) return verdictFor(policy, hostname, hostname)

  const addresses = await new Promise<dns.LookupAddress[]>((resolve) => {
    resolveAll(lookup, hostname, lookupTimeoutMs, (err, found) => resolve(err === null ? found : []))
  })
  for (const { address } of addresses) {
    const result = verdictFor(policy, address, hostname)
    if (!result.ok) return result
  }
  return { ok: true }
}

function verdictFor(policy: AddressPolicy, address: string, hostname: string): UrlTargetCheck {
  const verdict = policy.check(address)
  if (verdict.allowed) return { ok: true }
  return { ok: false, reason: new BlockedAddressError(address, hostname, verdict.reason).message }
}

/** `lookup` with a time limit; an empty answer is an ENOTFOUND error. Calls back exactly once. */
function resolveAll(
  lookup: LookupAll,
  hostname: string,
  timeoutMs: number,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
): void {
  let done = false
  const timer = setTimeout(() => {
    if (done) return
    done = true
    callback(dnsError('ETIMEOUT', `DNS lookup of ${hostname} timed out after ${timeoutMs} ms`), [])
  }, timeoutMs)
  timer.unref()
  try {
    lookup(hostname, (err, addresses) => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (err !== null) callback(err, [])
      else if (addresses.length === 0) callback(dnsError('ENOTFOUND', `getaddrinfo ENOTFOUND ${hostname}`), [])
      else callback(null, addresses)
    })
  } catch (err) {
    if (done) return
    done = true
    clearTimeout(timer)
    callback(err as NodeJS.ErrnoException, [])
  }
}

function dnsError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message)
  err.code = code
  return err
}

function errorCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' ? code : ''
}
