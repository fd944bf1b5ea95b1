import { describe, expect, it } from 'vitest'
import { allowedNetworksErrors, MAX_ALLOWED_NETWORKS, NetworkPolicies, networksKey } from './network-policies.js'

describe('allowedNetworksErrors', () => {
  it('takes IPv4 and IPv6 CIDRs and single addresses', () => {
    expect(allowedNetworksErrors(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8', '::1/128', '192.168.1.10', ' 172.16.0.0/12 '])).toEqual([])
    expect(allowedNetworksErrors([])).toEqual([])
  })

  it('names each bad entry by its index', () => {
    const errors = allowedNetworksErrors(['10.0.0.0/8', 'localhost', '10.0.0.0/33', 'fd00::/129', '', '1.2.3.4/-1', 'fe80::1%eth0/64'])
    expect(errors.map((e) => e.path)).toEqual(['/allowedNetworks/1', '/allowedNetworks/2', '/allowedNetworks/3', '/allowedNetworks/4', '/allowedNetworks/5', '/allowedNetworks/6'])
    expect(errors[0]!.message).toMatch(/CIDR/)
  })

  it(`refuses more than ${MAX_ALLOWED_NETWORKS} entries as a whole`, () => {
    const list = Array.from({ length: MAX_ALLOWED_NETWORKS }, (_, i) => `10.${i}.0.0/16`)
    expect(allowedNetworksErrors(list)).toEqual([])
    expect(allowedNetworksErrors([...list, '10.200.0.0/16'])).toEqual([{ path: '/allowedNetworks', message: `must have at most ${MAX_ALLOWED_NETWORKS} entries` }])
  })
})

describe('networksKey', () => {
  it('is the same for the same networks in any order, with repeats or spaces', () => {
    expect(networksKey(['10.0.0.0/8', '127.0.0.1/32'])).toBe(networksKey([' 127.0.0.1/32', '10.0.0.0/8', '10.0.0.0/8']))
    expect(networksKey([])).not.toBe(networksKey(['10.0.0.0/8']))
  })
})

describe('NetworkPolicies', () => {
  const policies = new NetworkPolicies(['127.0.0.0/8'])

  it('null is the server-wide list', () => {
    expect(policies.for(null)).toBe(policies.serverWide)
    expect(policies.for(null).check('127.0.0.1').allowed).toBe(true)
    expect(policies.for(null).check('10.0.0.1').allowed).toBe(false)
  })

  it("a tenant's list replaces the server's: [] allows no private address at all, public ones still", () => {
    const none = policies.for([])
    expect(none.check('127.0.0.1').allowed).toBe(false)
    expect(none.check('::ffff:127.0.0.1').allowed).toBe(false)
    expect(none.check('8.8.8.8').allowed).toBe(true)
    const own = policies.for(['10.1.0.0/16', 'fd00:1::/64'])
    expect(own.check('10.1.2.3').allowed).toBe(true)
    expect(own.check('fd00:1::5').allowed).toBe(true)
    expect(own.check('10.2.0.1').allowed).toBe(false)
    expect(own.check('127.0.0.1').allowed).toBe(false)
  })

  it('equal lists share one policy; a list with an entry that is not a CIDR leaves it out', () => {
    expect(policies.for(['10.1.0.0/16', '127.0.0.1/32'])).toBe(policies.for(['127.0.0.1/32', '10.1.0.0/16']))
    const odd = policies.for(['nonsense', '127.0.0.1/32'])
    expect(odd.check('127.0.0.1').allowed).toBe(true)
    expect(odd.check('127.0.0.2').allowed).toBe(false)
  })

  it('empties its cache at the limit rather than growing', () => {
    const small = new NetworkPolicies([], 2)
    const a = small.for(['10.0.0.0/8'])
    small.for(['10.1.0.0/16'])
    small.for(['10.2.0.0/16'])
    expect(small.for(['10.0.0.0/8'])).not.toBe(a)
    expect(small.for(['10.0.0.0/8']).check('10.9.9.9').allowed).toBe(true)
  })
})
