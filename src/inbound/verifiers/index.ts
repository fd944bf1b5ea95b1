import { verifyGithub } from './github/index.js'
import { verifyHmac } from './hmac/index.js'
import { verifyShopify } from './shopify/index.js'
import { verifySlack } from './slack/index.js'
import { verifyStandardWebhooks } from './standard-webhooks/index.js'
import { verifyStripe } from './stripe/index.js'
import { OK, type VerificationType, type Verifier } from './verifier.js'

export type { VerificationType, Verifier, VerifyInput, VerifyResult } from './verifier.js'
export { DEFAULT_HMAC_HEADER } from './hmac/index.js'

/**
 * One verifier per source verification type. `none` accepts everything: a source without a secret
 * relies on its unguessable ingest URL alone.
 */
export const verifiers: Record<VerificationType, Verifier> = {
  none: () => OK,
  hmac: verifyHmac,
  'standard-webhooks': verifyStandardWebhooks,
  stripe: verifyStripe,
  github: verifyGithub,
  shopify: verifyShopify,
  slack: verifySlack,
}
