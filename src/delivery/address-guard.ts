/**
 * The SSRF guard. It lives in undici's connector, so it judges the address a socket is actually
 * opened to, after DNS resolution: a check on the URL alone or in a DNS `lookup` hook misses IP
 * literals (`127.0.0.1`, `[::ffff:127.0.0.1]`) and DNS rebinding (a name that resolves to a public
 * address at creation time and to a private one at delivery time).
 */
import type dns from 'node:dns'
import net from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { buildConnector } from 'undici'
import type { AddressPolicy } from '../core/address-class.js'
import { BlockedAddressError, defaultLookup, resolveAll, type LookupAll } from './url-target.js'


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
  const resolveChecked = createTargetCheck(policy, opts)

  return function guardedConnect(options, callback) {
    resolveChecked(options.hostname, (err, addresses) => {
      if (err !== null) {
        callback(err, null)
        return
      }
      // An IP literal goes to itself: TLS then checks the certificate against the address.
      if (addresses.length === 1 && addresses[0]!.address === options.hostname) {
        base(options, callback)
        return
      }
      const servername = options.servername || options.hostname
      const connectAt = (i: number): void => {
        // Every address was checked; `addresses` is non-empty (resolveAll guarantees it).
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

/** Resolves a target host and judges every address; calls back with all of them, or the refusal. */
export type TargetCheck = (hostname: string, callback: (err: Error | null, addresses: dns.LookupAddress[]) => void) => void

/**
 * The guard's judgement without the connect, for senders that connect through someone else (the
 * egress proxy): an IP literal is judged as it is (always asynchronously, as a real connect failure
 * would be: undici's client is not re-entrant there); a name is resolved and refused with a
 * BlockedAddressError if any of its addresses is.
 */
export function createTargetCheck(policy: AddressPolicy, opts: Pick<GuardedConnectOptions, 'lookup' | 'lookupTimeoutMs'> = {}): TargetCheck {
  const lookup = opts.lookup ?? defaultLookup
  const lookupTimeoutMs = opts.lookupTimeoutMs ?? 5_000
  return (host, callback) => {
    // undici strips the brackets of an IPv6 literal before calling the connector; a URL keeps them.
    const hostname = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    const family = net.isIP(hostname)
    if (family !== 0) {
      const verdict = policy.check(hostname)
      const err = verdict.allowed ? null : new BlockedAddressError(hostname, hostname, verdict.reason)
      process.nextTick(callback, err, err === null ? [{ address: hostname, family }] : [])
      return
    }
    resolveAll(lookup, hostname, lookupTimeoutMs, (err, addresses) => {
      if (err !== null) {
        callback(err, [])
        return
      }
      for (const { address } of addresses) {
        const verdict = policy.check(address)
        if (!verdict.allowed) {
          callback(new BlockedAddressError(address, hostname, verdict.reason), [])
          return
        }
      }
      callback(null, addresses)
    })
  }
}

function errorCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' ? code : ''
}
