import type { AddressPolicy } from '../core/address-class.js'
import { networksKey, policyOf } from '../core/network-policies.js'

/** What is pooled: an undici Agent, or the sender's Egress (an agent, or the proxy's pools). */
export interface ClosableAgent {
  /** Closes once its requests under way have finished. */
  close(): Promise<void>
  /** Closes at once, dropping its connections. */
  destroy(): Promise<void>
}

/**
 * Agents for requests that carry a tenant's own allowed networks: the SSRF guard sits in an
 * agent's connector, so each distinct list needs an agent of its own (pooled connections are never
 * shared across lists: a socket opened under a wider list cannot serve a narrower one). Requests
 * without a list keep using the caller's server-wide agent, untouched by this.
 */
export interface PolicyAgents<A extends ClosableAgent> {
  /** The agent for requests allowed `networks`; made on first use. */
  get(networks: readonly string[]): A
  /** Agents currently kept. */
  readonly size: number
  /** Closes every agent at once (connections dropped), as the sender's close does. */
  destroy(): Promise<void>
}

/**
 * Keeps at most `limit` agents, the most recently used (default 64); one pushed out is closed
 * gracefully (its requests in flight finish first) and made again if its list comes back.
 */
export function createPolicyAgents<A extends ClosableAgent>(make: (policy: AddressPolicy) => A, limit = 64): PolicyAgents<A> {
  const agents = new Map<string, A>()
  return {
    get(networks) {
      const key = networksKey(networks)
      let agent = agents.get(key)
      if (agent !== undefined) {
        // Map order is insertion order: re-inserting marks it as the most recently used.
        agents.delete(key)
        agents.set(key, agent)
        return agent
      }
      agent = make(policyOf(networks))
      agents.set(key, agent)
      if (agents.size > limit) {
        const [oldestKey, oldest] = agents.entries().next().value as [string, A]
        agents.delete(oldestKey)
        oldest.close().catch(() => {})
      }
      return agent
    },
    get size() {
      return agents.size
    },
    async destroy() {
      const all = [...agents.values()]
      agents.clear()
      await Promise.all(all.map((a) => a.destroy()))
    },
  }
}
