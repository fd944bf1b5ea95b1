/**
 * What every adapter does with a request once it has the raw body: verify it, and either hand on
 * the event or say, as an RFC 9457 problem, why it is refused with 401.
 */
import { verifyWebhook, type RawBody, type VerifyWebhookOptions, type WebhookHeaders, type WebhookSecret } from '../webhooks/verify-webhook.js'
import { WebhookVerificationError } from '../webhooks/webhook-verification-error.js'

export interface VerifyWebhooksOptions extends Pick<VerifyWebhookOptions, 'toleranceSeconds'> {
  /** The endpoint's `whsec_...` secret, or several while the receiver moves to a new one. */
  secret: WebhookSecret | readonly WebhookSecret[]
  /** Bodies larger than this are refused with 413 before they are read whole. Default 4 MiB. */
  maxBodyBytes?: number
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

export interface Refusal {
  status: 401 | 413
  body: { type: string; title: string; status: number; detail: string; code: string }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export function refusal(status: 401 | 413, code: string, detail: string): Refusal {
  return { status, body: { type: 'about:blank', title: status === 401 ? 'Unauthorized' : 'Content Too Large', status, detail, code } }
}

export const tooLarge = (limit: number): Refusal => refusal(413, 'body_too_large', `The webhook body is larger than ${limit} bytes.`)

/** The verified event, or the refusal to answer with. Other errors (a bad secret setting) are thrown. */
export function verifyRequest(raw: RawBody, headers: WebhookHeaders, options: VerifyWebhooksOptions): { event: unknown } | { refusal: Refusal } {
  try {
    return { event: verifyWebhook(raw, headers, options.secret, { toleranceSeconds: options.toleranceSeconds }) }
  } catch (err) {
    if (err instanceof WebhookVerificationError) return { refusal: refusal(401, err.code, err.message) }
    throw err
  }
}

/** Whether a declared content-length is already over the limit. */
export function declaredTooLarge(contentLength: string | null | undefined, limit: number): boolean {
  return contentLength !== null && contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) > limit
}
