/** A path from segments, each percent-encoded: ids come from callers and may hold anything. */
export const path = (...segments: string[]): string => segments.map((s) => `/${encodeURIComponent(s)}`).join('')

/** `/v1/tenants/{tenantId}/...` */
export const tenantPath = (tenantId: string, ...rest: string[]): string => `/v1/tenants${path(tenantId, ...rest)}`
