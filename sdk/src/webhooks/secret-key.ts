/**
 * Secrets and signature bytes. Standard Webhooks: a `whsec_` secret's key is the base64-decoded
 * part after the prefix. As the server's own verifier does, a secret without the prefix is decoded
 * when it is base64 and used as its UTF-8 bytes otherwise; bytes are used as they are.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export type WebhookSecret = string | Uint8Array

export function secretKey(secret: WebhookSecret): Uint8Array {
  if (secret instanceof Uint8Array) {
    if (secret.length === 0) throw new TypeError('webhook secret is empty')
    return secret
  }
  if (typeof secret !== 'string' || secret === '' || secret === 'whsec_') throw new TypeError('webhook secret is required')
  const prefixed = secret.startsWith('whsec_')
  const text = prefixed ? secret.slice('whsec_'.length) : secret
  if (BASE64.test(text)) return base64Decode(text)
  if (prefixed) throw new TypeError('webhook secret: whsec_ must be followed by base64')
  return new TextEncoder().encode(text)
}

/** Bytes of standard base64, or null when `text` is not base64. */
export function base64Decode(text: string): Uint8Array
export function base64Decode(text: string, orNull: true): Uint8Array | null
export function base64Decode(text: string, orNull = false): Uint8Array | null {
  if (!BASE64.test(text)) {
    if (orNull) return null
    throw new TypeError('not base64')
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
}

export function base64Encode(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}
