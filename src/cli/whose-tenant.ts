import type { Client } from './client.js'

/**
 * The tenant a command acts on: `--tenant` when given, otherwise the one the token is scoped to
 * (`GET /v1/whoami`: a tenant API key's or a portal token's tenant). Null for the admin token,
 * which is scoped to none: the caller asks for `--tenant` or finds the tenant another way.
 */
export async function whoseTenant(client: Client, given: string | undefined): Promise<string | null> {
  if (given !== undefined) return given
  const me = await client.call<{ kind: string; tenantId: string | null }>('GET', '/v1/whoami')
  return me.tenantId
}

/** The tenant for a command that cannot act without one. */
export async function requireTenant(client: Client, given: string | undefined): Promise<string> {
  const tenant = await whoseTenant(client, given)
  if (tenant === null) throw new Error('pass --tenant: the admin token is not scoped to a tenant (a tenant API key is, and needs no --tenant)')
  return tenant
}
