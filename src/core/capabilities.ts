/**
 * What a portal session may do beyond reading (API.md, "Dashboard and portal"). A tenant API key
 * and the admin token hold them all; a portal token only those its session was created with.
 */
export const CAPABILITIES = ['endpoints.write', 'secrets.read', 'secrets.rotate', 'deliveries.retry'] as const

export type Capability = (typeof CAPABILITIES)[number]

export const isCapability = (s: string): s is Capability => (CAPABILITIES as readonly string[]).includes(s)
