import type { AddressPolicy } from '../core/address-class.js'
import type { Upstream } from './upstream.js'

type LoadUpstream = (policy: AddressPolicy) => Promise<Upstream>

const loadUpstream: LoadUpstream = async (policy) => (await import('./upstream.js')).createUpstream(policy)

/**
 * The gateway's Upstream, loaded on the first proxied request. upstream.ts brings undici with it,
 * and evaluating undici on the main thread costs every start about 40 ms, which publishes arriving
 * during start-up wait for, whether or not the node has a single route.
 */
export function lazyUpstream(policy: AddressPolicy, load: LoadUpstream = loadUpstream): Upstream {
  let loaded: Promise<Upstream> | null = null
  const upstream = (): Promise<Upstream> => (loaded ??= load(policy))
  return {
    async open(req) {
      return (await upstream()).open(req)
    },
    async close() {
      // Never used: nothing was loaded, nothing to close.
      if (loaded !== null) await (await loaded).close()
    },
  }
}
