/** Why a webhook was refused: stable codes to log or branch on. */
export type WebhookVerificationCode =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature'
  | 'body_too_large'

/** What verifyWebhook throws for a request that must not be trusted; adapters answer it with 401. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError'
  constructor(
    readonly code: WebhookVerificationCode,
    message: string,
  ) {
    super(message)
  }
}
