/**
 * @hookrelay/sdk: the Hookrelay API client and the webhook verifier. No runtime dependency; runs on
 * Node 20+, in browsers, Deno and Bun. Framework adapters are in `@hookrelay/sdk/express`,
 * `/fastify`, `/hono` and `/next`.
 */
export { Hookrelay } from './client.js'
export type { HookrelayOptions } from './transport.js'
export type { AttemptStreamOptions } from './resources/deliveries.js'
export { HookrelayError, type ProblemFieldError } from './hookrelay-error.js'
export { verifyWebhook, signWebhook, DEFAULT_TOLERANCE_SECONDS } from './webhooks/verify-webhook.js'
export type { RawBody, VerifyWebhookOptions, WebhookHeaders, WebhookSecret } from './webhooks/verify-webhook.js'
export { WebhookVerificationError, type WebhookVerificationCode } from './webhooks/webhook-verification-error.js'
export type * from './types.js'
export type { components, operations, paths } from './generated/openapi.js'
