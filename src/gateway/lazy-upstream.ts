import type { AddressPolicy } from '../core/address-class.js'
import type { Upstream } from './upstream.js'

/**
 * The gateway's Upstream, loaded on the first proxied request. upstream.ts brings undici with it,
 * and evaluating undici on the main thread costs every start about 40 ms, which publishes arriving
 * during start-up wait for, whether or not the node has a single route.
 */
export function lazyUpstream(policy: AddressPolicy): Upstream {
  let loaded: Promise<Upstream> | null = null
  const load = (): Promise<Upstream> => (loaded ??= import('./upstream.js').then((m) => m.createUpstream(policy)))
  return {
    async send(req) {
      return (await load()).send(req)
    },
    async close() {
      if (loaded !== null) await (await loaded).close()
    },
  }
}
