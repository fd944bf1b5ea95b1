/**
 * Where an endpoint URL leads, checked without connecting: name resolution with a time limit and
 * the SSRF policy's verdict on every address. Creation-time validation uses it directly; the
 * connect-time guard (address-guard.ts) builds on the same pieces. No undici here, so the main
 * thread need not load it when deliveries are sent from the sender thread.
 */
import dns from 'node:dns'
import net from 'node:net'
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

export const defaultLookup: LookupAll = (hostname, callback) => {
  dns.lookup(hostname, { all: true }, callback)
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
export function resolveAll(
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
