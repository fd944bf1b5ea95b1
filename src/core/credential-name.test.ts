import { describe, expect, it } from 'vitest'
import { isCredentialName } from './credential-name.js'

describe('isCredentialName', () => {
  it('knows credential names in any case and with any separators', () => {
    for (const name of ['token', 'Token', 'access_token', 'accessToken', 'refresh-token', 'x-api-token', 'key', 'KEY', 'api_key', 'apikey', 'x-api-key', 'secret', 'client_secret', 'signature', 'sig', 'hub.sig', 'password', 'passwd', 'pwd', 'pass', 'auth', 'Authorization', 'oauth_token', 'session_id', 'jwt', 'hmac', 'private_key', 'credentials', 'AWSAccessKeyId']) {
      expect(isCredentialName(name), name).toBe(true)
    }
  })

  it('knows every header that carries a credential or a signature', () => {
    for (const name of ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-api-token', 'x-auth-token', 'webhook-signature', 'svix-signature', 'stripe-signature', 'x-hub-signature', 'x-hub-signature-256', 'x-shopify-hmac-sha256', 'x-slack-signature', 'x-hookrelay-signature', 'x-knock-signature', 'x-amz-security-token']) {
      expect(isCredentialName(name), name).toBe(true)
    }
  })

  it('leaves other names alone', () => {
    for (const name of ['id', 'page', 'event', 'user', 'source', 'type', 'limit', 'cursor', 'keyword', 'signup', 'design', 'content-type', 'user-agent', 'x-github-event', 'webhook-id', 'webhook-timestamp', 'x-request-id', 'accept', 'Idempotency-Key', 'idempotency_key']) {
      expect(isCredentialName(name), name).toBe(false)
    }
  })
})
