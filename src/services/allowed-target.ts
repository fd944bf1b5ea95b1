import type { AddressPolicy } from '../core/address-class.js'
import { checkUrlTarget } from '../delivery/url-target.js'
import { AppError } from '../errors.js'

/**
 * Refuses (422 `url_not_allowed`, at `path`) a URL whose host resolves to an address the policy
 * blocks: an endpoint's URL or a gateway route's upstream, checked when set. The connect-time
 * guard (delivery/address-guard.ts) checks again on every request.
 */
export async function requireAllowedTarget(href: string, policy: AddressPolicy, path: string): Promise<void> {
  const check = await checkUrlTarget(href, policy)
  if (!check.ok) throw new AppError('url_not_allowed', `The URL is not allowed: ${check.reason}.`, [{ path, message: check.reason }])
}
