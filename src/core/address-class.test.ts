import { describe, expect, it } from 'vitest'
import { classifyAddress, createAddressPolicy, parseCidr, type AddressClass } from './address-class.js'

// Pure functions: nothing here resolves a name or opens a socket.

describe('classifyAddress: IPv4', () => {
  it.each<[string, AddressClass]>([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['223.255.255.255', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.255.255.255', 'unspecified'],
    ['1.0.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['126.255.255.255', 'public'],
    ['128.0.0.0', 'public'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['192.169.0.0', 'public'],
    ['169.254.0.1', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['169.253.255.255', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.169.253', 'link-local'],
    ['169.254.170.2', 'metadata'],
    ['169.254.170.3', 'link-local'],
    ['100.100.100.200', 'metadata'],
    ['100.100.100.201', 'cgnat'],
    ['100.64.0.0', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.0.1', 'reserved'],
    ['192.0.1.0', 'public'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.20.0.0', 'public'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.99', 'reserved'],
  ])('%s -> %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls)
  })
})

describe('classifyAddress: IPv6', () => {
  it.each<[string, AddressClass]>([
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private'],
    ['fec0::1', 'private'],
    ['fe80::1', 'link-local'],
    ['FE80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fe80::abcd%25en0', 'link-local'],
    ['[fe80::1%eth0]', 'link-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'metadata'],
    ['fd00:ec2::253', 'private'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:db8:ffff::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['2001::1', 'reserved'], // Teredo
    ['2001:2::1', 'reserved'], // benchmarking
    ['100::1', 'reserved'], // discard-only, outside 2000::/3
    ['4000::1', 'reserved'], // unallocated, outside 2000::/3
    ['64:ff9b:1::1', 'reserved'], // local-use NAT64 (RFC 8215): the IPv4 inside cannot be located
  ])('%s -> %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls)
  })
})

describe('classifyAddress: IPv6 carrying IPv4', () => {
  it.each<[string, AddressClass]>([
    // IPv4-mapped, dotted and hex
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:c0a8:1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:169.254.1.1', 'link-local'],
    ['::ffff:100.64.1.1', 'cgnat'],
    ['::ffff:224.0.0.1', 'multicast'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:255.255.255.255', 'reserved'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:808:808', 'public'],
    // IPv4-compatible
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::10.1.2.3', 'private'],
    ['::169.254.169.254', 'metadata'],
    ['::8.8.8.8', 'public'],
    // NAT64 well-known prefix
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::192.168.1.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    // 6to4
    ['2002:7f00:1::', 'loopback'],
    ['2002:7f00:0001:1234::1', 'loopback'],
    ['2002:a00:1::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:808:808::1', 'public'],
  ])('%s -> %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls)
  })
})

describe('classifyAddress: not IP literals', () => {
  it.each([
    [''],
    ['localhost'],
    ['example.com'],
    ['127.1'], // inet_aton shorthand: not a literal we accept
    ['0x7f.0.0.1'],
    ['0177.0.0.1'],
    ['2130706433'],
    ['127.000.000.001'],
    ['256.0.0.1'],
    ['1.2.3'],
    [' 127.0.0.1'],
    ['127.0.0.1 '],
    ['[127.0.0.1]'],
    ['127.0.0.1%eth0'],
    ['[::1'],
    ['::1]'],
    ['::g'],
    ['1::2::3'],
    ['http://127.0.0.1/'],
  ])('%j -> invalid', (ip) => {
    expect(classifyAddress(ip)).toBe('invalid')
  })
})

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['127.0.0.0/8', { address: '127.0.0.0', prefix: 8, family: 'ipv4' }],
    ['0.0.0.0/0', { address: '0.0.0.0', prefix: 0, family: 'ipv4' }],
    ['192.168.1.7/32', { address: '192.168.1.7', prefix: 32, family: 'ipv4' }],
    [' 172.16.0.0/12 ', { address: '172.16.0.0', prefix: 12, family: 'ipv4' }],
    ['192.168.1.7', { address: '192.168.1.7', prefix: 32, family: 'ipv4' }],
    ['::1/128', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['fd00::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::/0', { address: '::', prefix: 0, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
    ['::ffff:10.0.0.0/104', { address: '::ffff:10.0.0.0', prefix: 104, family: 'ipv6' }],
  ])('%j -> %j', (s, expected) => {
    expect(parseCidr(s)).toEqual(expected)
  })

  it.each([
    [''],
    ['/8'],
    ['10.0.0.0/'],
    ['10.0.0.0/33'],
    ['10.0.0.0/-1'],
    ['10.0.0.0/8/8'],
    ['10.0.0.0/8.0'],
    ['10.0.0.0/ 8'],
    ['10.0.0.0/0008'],
    ['::1/129'],
    ['10/8'],
    ['localhost/8'],
    ['[::1]/128'],
    ['fe80::%eth0/64'],
  ])('%j -> null', (s) => {
    expect(parseCidr(s)).toBeNull()
  })
})

describe('createAddressPolicy', () => {
  it.each<[string[], string, true | string]>([
    // no allowances: only public addresses
    [[], '8.8.8.8', true],
    [[], '2606:4700:4700::1111', true],
    [[], '::ffff:8.8.8.8', true],
    [[], '127.0.0.1', '127.0.0.1 is a loopback address'],
    [[], '::1', '::1 is a loopback address'],
    [[], '10.1.2.3', '10.1.2.3 is a private address'],
    [[], 'fd00::1', 'fd00::1 is a private address'],
    [[], '169.254.1.1', '169.254.1.1 is a link-local address'],
    [[], '100.64.0.1', '100.64.0.1 is a carrier-grade NAT address'],
    [[], '224.0.0.1', '224.0.0.1 is a multicast address'],
    [[], '169.254.169.254', '169.254.169.254 is a cloud metadata address'],
    [[], '0.0.0.0', '0.0.0.0 is an unspecified address'],
    [[], '::', ':: is an unspecified address'],
    [[], '192.0.2.1', '192.0.2.1 is a reserved address'],
    [[], '::ffff:7f00:1', '::ffff:7f00:1 is a loopback address'],
    [[], 'example.com', 'example.com is not an IP address'],
    // a v4 allowance covers the v4 address and the IPv6 forms carrying it
    [['127.0.0.0/8'], '127.0.0.1', true],
    [['127.0.0.0/8'], '127.8.9.10', true],
    [['127.0.0.0/8'], '::ffff:127.0.0.1', true],
    [['127.0.0.0/8'], '::ffff:7f00:1', true],
    [['127.0.0.0/8'], '[::ffff:7f00:1]', true],
    [['127.0.0.0/8'], '::127.0.0.1', true],
    [['127.0.0.0/8'], '64:ff9b::7f00:1', true],
    [['127.0.0.0/8'], '2002:7f00:1::', true],
    [['127.0.0.0/8'], '::1', '::1 is a loopback address'],
    [['127.0.0.0/8'], '0.0.0.0', '0.0.0.0 is an unspecified address'],
    [['127.0.0.0/8'], '10.0.0.1', '10.0.0.1 is a private address'],
    // a v6 allowance
    [['::1/128'], '::1', true],
    [['::1/128'], '[::1]', true],
    [['::1/128'], '127.0.0.1', '127.0.0.1 is a loopback address'],
    [['fe80::/10'], 'fe80::1%eth0', true],
    [['fd00::/8'], 'fd00:ec2::254', true],
    // narrow allowances
    [['10.0.0.5'], '10.0.0.5', true],
    [['10.0.0.5'], '10.0.0.6', '10.0.0.6 is a private address'],
    [['192.168.0.0/16', '::1/128'], '192.168.44.1', true],
    [['192.168.0.0/16', '::1/128'], '172.16.0.1', '172.16.0.1 is a private address'],
    // an allowance with host bits set still means its network
    [['10.1.2.3/8'], '10.200.0.1', true],
    // the metadata service is only reachable when a range covering it is allowed on purpose
    [['10.0.0.0/8'], '169.254.169.254', '169.254.169.254 is a cloud metadata address'],
    [['169.254.169.254/32'], '169.254.169.254', true],
    // nothing makes a non-address allowed
    [['0.0.0.0/0', '::/0'], 'localhost', 'localhost is not an IP address'],
    [['0.0.0.0/0'], '10.0.0.1', true],
  ])('allowing %j: %s -> %j', (cidrs, ip, expected) => {
    const result = createAddressPolicy(cidrs).check(ip)
    expect(result).toEqual(expected === true ? { allowed: true } : { allowed: false, reason: expected })
  })

  it.each([['10.0.0.0/33'], ['not-a-network'], ['']])('throws naming the bad entry %j', (bad) => {
    expect(() => createAddressPolicy(['127.0.0.0/8', bad])).toThrow(`"${bad}"`)
  })
})
