import { BlockList, isIP } from 'node:net'

/**
 * What kind of address an IP literal is, for SSRF protection: deliveries go to `public`
 * addresses only, unless HOOKRELAY_ALLOWED_NETWORKS covers the address. Pure: no DNS, no sockets;
 * the delivery connector calls this on every address a host name resolves to, right before connecting.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'metadata'
  | 'unspecified'
  | 'reserved'
  | 'invalid'

type Family = 'ipv4' | 'ipv6'

// Checked in this order, so a narrow range wins over the broad one it sits in (the metadata
// address 169.254.169.254 over link-local 169.254/16, fd00:ec2::254 over fc00::/7).
// Sources: IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890) and the RFCs named.
const RULES: ReadonlyArray<readonly [AddressClass, ReadonlyArray<readonly [string, number, Family]>]> = [
  ['metadata', [
    ['169.254.169.254', 32, 'ipv4'], // AWS, GCP, Azure, OpenStack instance metadata
    ['169.254.170.2', 32, 'ipv4'], // AWS ECS task metadata and credentials
    ['100.100.100.200', 32, 'ipv4'], // Alibaba Cloud metadata
    ['fd00:ec2::254', 128, 'ipv6'], // AWS instance metadata over IPv6
  ]],
  ['unspecified', [['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']]], // RFC 1122 §3.2.1.3, RFC 4291 §2.5.2; 0.0.0.0 reaches localhost on Linux
  ['loopback', [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']]],
  ['private', [
    ['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], // RFC 1918
    ['fc00::', 7, 'ipv6'], // unique local, RFC 4193
    ['fec0::', 10, 'ipv6'], // site-local, deprecated by RFC 3879 but still private where used
  ]],
  ['link-local', [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']]], // RFC 3927, RFC 4291 §2.5.6
  ['cgnat', [['100.64.0.0', 10, 'ipv4']]], // shared address space, RFC 6598
  ['multicast', [['224.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']]],
  ['reserved', [
    ['240.0.0.0', 4, 'ipv4'], // RFC 1112 §4, includes the broadcast 255.255.255.255
    ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments, RFC 6890
    ['198.18.0.0', 15, 'ipv4'], // benchmarking, RFC 2544
    ['192.0.2.0', 24, 'ipv4'], ['198.51.100.0', 24, 'ipv4'], ['203.0.113.0', 24, 'ipv4'], // documentation, RFC 5737
    ['2001:db8::', 32, 'ipv6'], ['3fff::', 20, 'ipv6'], // documentation, RFC 3849 and RFC 9637
    ['2001::', 23, 'ipv6'], // IETF protocol assignments (Teredo, benchmarking, ORCHID), RFC 2928
  ]],
]

const TABLE: ReadonlyArray<readonly [AddressClass, BlockList]> = RULES.map(([cls, ranges]) => {
  const list = new BlockList()
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family)
  return [cls, list] as const
})

/** An address as classified: the literal without brackets or zone, and the IPv4 it stands for, if any. */
interface Inspected {
  address: string
  family: Family
  cls: AddressClass
  /** The IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4), which decided the class. */
  embeddedV4: string | null
}

/** The class of an IPv4 or IPv6 literal; `invalid` for anything else, host names included. */
export function classifyAddress(ip: string): AddressClass {
  return inspect(ip)?.cls ?? 'invalid'
}

function inspect(ip: string): Inspected | null {
  let s = ip
  const bracketed = s.startsWith('[') && s.endsWith(']')
  if (bracketed) s = s.slice(1, -1)
  // A zone id (RFC 6874: fe80::1%eth0) picks an interface; it does not change the address.
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  const version = isIP(s)
  if (version === 4 && !bracketed && zone < 0) return { address: s, family: 'ipv4', cls: lookup(s, 'ipv4'), embeddedV4: null }
  if (version !== 6) return null

  const groups = ipv6Groups(s)
  const v4 = embeddedIpv4(groups)
  if (v4) return { address: s, family: 'ipv6', cls: lookup(v4, 'ipv4'), embeddedV4: v4 }
  let cls = lookup(s, 'ipv6')
  // Only 2000::/3 is allocated for global unicast (RFC 4291 §2.4); the rest is not a delivery target.
  if (cls === 'public' && ((groups[0] ?? 0) & 0xe000) !== 0x2000) cls = 'reserved'
  return { address: s, family: 'ipv6', cls, embeddedV4: null }
}

function lookup(address: string, family: Family): AddressClass {
  for (const [cls, list] of TABLE) if (list.check(address, family)) return cls
  return 'public'
}

/** The eight 16-bit groups of an IPv6 literal that isIP has already accepted. */
function ipv6Groups(s: string): number[] {
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [parseInt(g, 16)]
          const [a = 0, b = 0, c = 0, d = 0] = g.split('.').map(Number)
          return [(a << 8) | b, (c << 8) | d]
        })
  const gap = s.indexOf('::')
  if (gap < 0) return parse(s)
  const head = parse(s.slice(0, gap))
  const tail = parse(s.slice(gap + 2))
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

/**
 * The IPv4 address an IPv6 one delivers to, when it carries one: the packet really goes to that
 * IPv4 host (or to whatever a NAT64 or 6to4 gateway reaches with it), so that is what is judged.
 */
function embeddedIpv4(g: readonly number[]): string | null {
  const zero = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0)
  const v4 = (hi: number | undefined, lo: number | undefined): string =>
    `${((hi ?? 0) >> 8) & 255}.${(hi ?? 0) & 255}.${((lo ?? 0) >> 8) & 255}.${(lo ?? 0) & 255}`
  // ::ffff:a.b.c.d, IPv4-mapped (RFC 4291 §2.5.5.2), in dotted or hex form
  if (zero(0, 5) && g[5] === 0xffff) return v4(g[6], g[7])
  // ::a.b.c.d, IPv4-compatible (deprecated, RFC 4291 §2.5.5.1); :: and ::1 are IPv6's own
  if (zero(0, 6) && !(g[6] === 0 && (g[7] ?? 0) <= 1)) return v4(g[6], g[7])
  // 64:ff9b::a.b.c.d, the NAT64 well-known prefix (RFC 6052 §2.1)
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6], g[7])
  // 2002:aabb:ccdd::/48, 6to4 (RFC 3056 §2)
  if (g[0] === 0x2002) return v4(g[1], g[2])
  return null
}

export interface AddressPolicy {
  check(ip: string): { allowed: true } | { allowed: false; reason: string }
}

const DESCRIPTION: Record<Exclude<AddressClass, 'public'>, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  reserved: 'a reserved address',
  invalid: 'not an IP address',
}

/**
 * Public addresses are allowed; any other is refused unless one of `allowedCidrs` covers it. An
 * allowed IPv4 range also covers the IPv6 forms carrying an address in it (`::ffff:127.0.0.1` for
 * 127.0.0.0/8), since those were classified by that IPv4 address. Throws on an entry that is not a CIDR.
 */
export function createAddressPolicy(allowedCidrs: readonly string[]): AddressPolicy {
  const allowed = new BlockList()
  for (const entry of allowedCidrs) {
    const cidr = parseCidr(entry)
    if (!cidr) throw new Error(`invalid network in allowed networks: "${entry}" (expected a CIDR such as 10.0.0.0/8 or fd00::/8)`)
    allowed.addSubnet(cidr.address, cidr.prefix, cidr.family)
  }
  return {
    check(ip) {
      const info = inspect(ip)
      if (!info) return { allowed: false, reason: `${ip} is ${DESCRIPTION.invalid}` }
      if (info.cls === 'public') return { allowed: true }
      if (allowedCidrs.length > 0) {
        if (allowed.check(info.address, info.family)) return { allowed: true }
        if (info.embeddedV4 && allowed.check(info.embeddedV4, 'ipv4')) return { allowed: true }
      }
      return { allowed: false, reason: `${ip} is ${DESCRIPTION[info.cls]}` }
    },
  }
}

/** `10.0.0.0/8`, `::1/128`, or a bare address (a single host: /32 or /128); null otherwise. */
export function parseCidr(s: string): { address: string; prefix: number; family: Family } | null {
  const text = s.trim()
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const version = address.includes('%') ? 0 : isIP(address)
  if (version === 0) return null
  const family: Family = version === 4 ? 'ipv4' : 'ipv6'
  const max = version === 4 ? 32 : 128
  if (slash < 0) return { address, prefix: max, family }
  const prefixText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText)) return null
  const prefix = Number(prefixText)
  return prefix <= max ? { address, prefix, family } : null
}
