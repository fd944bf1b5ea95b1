import type { FieldError } from '../errors.js'
import { createAddressPolicy, parseCidr, type AddressPolicy } from './address-class.js'

/**
 * A tenant's `allowedNetworks` (API.md, "Tenants and keys") replaces the server-wide
 * HOOKRELAY_ALLOWED_NETWORKS for its endpoints, their rendered URLs and its routes: null = the
 * server's list, [] = none. This file turns lists into address policies, one per distinct list.
 */

/** At most this many entries in a tenant's list (422 beyond). */
export const MAX_ALLOWED_NETWORKS = 100

/** What is wrong with a tenant's list as given, each error at `{path}/{index}` (or `path` for its length). */
export function allowedNetworksErrors(list: readonly string[], path = '/allowedNetworks'): FieldError[] {
  if (list.length > MAX_ALLOWED_NETWORKS) return [{ path, message: `must have at most ${MAX_ALLOWED_NETWORKS} entries` }]
  const errors: FieldError[] = []
  list.forEach((entry, i) => {
    if (parseCidr(entry) === null) errors.push({ path: `${path}/${i}`, message: 'must be a CIDR such as 10.0.0.0/8 or fd00::/8 (or a single address)' })
  })
  return errors
}

/** One string per distinct list, whatever its order or repeats: equal lists share a policy (and an agent). */
export function networksKey(list: readonly string[]): string {
  return [...new Set(list.map((e) => e.trim()))].sort().join(',')
}

/**
 * The policy of a stored list. Entries that are not CIDRs were refused when the list was set; one
 * that got into the database some other way is left out, which only narrows what may be reached.
 */
export function policyOf(list: readonly string[]): AddressPolicy {
  return createAddressPolicy(list.filter((e) => parseCidr(e) !== null))
}

/**
 * Address policies by list, for the checks made when an endpoint or route is saved. Policies of
 * tenants' lists are kept (a policy is a small BlockList); at `limit` distinct lists the cache is
 * emptied rather than grown. Default limit 1000.
 */
export class NetworkPolicies {
  /** The policy of HOOKRELAY_ALLOWED_NETWORKS, for tenants without a list of their own. */
  readonly serverWide: AddressPolicy
  private readonly byKey = new Map<string, AddressPolicy>()

  constructor(
    serverNetworks: readonly string[],
    private readonly limit = 1000,
  ) {
    this.serverWide = createAddressPolicy(serverNetworks)
  }

  /** The policy that applies to a tenant whose `allowedNetworks` is `list`. */
  for(list: readonly string[] | null): AddressPolicy {
    if (list === null) return this.serverWide
    const key = networksKey(list)
    let policy = this.byKey.get(key)
    if (policy === undefined) {
      if (this.byKey.size >= this.limit) this.byKey.clear()
      policy = policyOf(list)
      this.byKey.set(key, policy)
    }
    return policy
  }
}
