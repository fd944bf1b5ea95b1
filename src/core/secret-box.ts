import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * Secrets at rest (endpoint signing secrets, auth tokens, source secrets) are sealed with
 * AES-256-GCM under HOOKRELAY_ENCRYPTION_KEY. Sealed form: `v1:<iv>:<tag>:<ciphertext>`, each part
 * standard base64. The version prefix leaves room for another algorithm or key later.
 */

const KEY_BYTES = 32
// A 96-bit random IV per seal, as NIST SP 800-38D §8.2.2 recommends; with random IVs one key
// stays safe for about 2^32 seals, far beyond the number of secrets a server stores.
const IV_BYTES = 12
const TAG_BYTES = 16
const HEX_KEY = /^[0-9a-fA-F]{64}$/
const BASE64_KEY = /^[A-Za-z0-9+/_-]+={0,2}$/
const BASE64_PART = /^[A-Za-z0-9+/]*={0,2}$/

export interface SecretBox {
  seal(plain: string): string
  /** Throws when the text was changed, sealed under another key, or is not a sealed value. */
  open(sealed: string): string
}

/**
 * The 32-byte key from its configured text: 64 hex characters, or base64 / base64url (padding
 * optional). Throws otherwise; the message never repeats the key.
 */
export function parseEncryptionKey(s: string): Buffer {
  const text = s.trim()
  let key: Buffer | null = null
  if (HEX_KEY.test(text)) key = Buffer.from(text, 'hex')
  // Node's base64 decoder reads both alphabets (RFC 4648 §4 and §5).
  else if (BASE64_KEY.test(text)) key = Buffer.from(text, 'base64')
  if (!key || key.length !== KEY_BYTES) {
    const got = key ? `${key.length} bytes` : 'text that is neither hex nor base64'
    throw new Error(`encryption key must be 32 bytes, given as 64 hex characters or base64; got ${got}`)
  }
  return key
}

/** Seals and opens secrets with `key` (32 bytes, see parseEncryptionKey). */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) throw new Error(`encryption key must be 32 bytes, got ${key.length}`)
  const k = Buffer.from(key) // a private copy: later changes to the caller's Buffer cannot reach it

  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', k, iv)
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      const tag = cipher.getAuthTag()
      return `v1:${iv.toString('base64')}:${tag.toString('base64')}:${ciphertext.toString('base64')}`
    },

    open(sealed) {
      const parts = sealed.split(':')
      const [version, ivText, tagText, ciphertextText] = parts
      if (parts.length !== 4 || version !== 'v1') throw new Error('not a sealed secret (expected v1:<iv>:<tag>:<ciphertext>)')
      if (![ivText, tagText, ciphertextText].every((p) => p !== undefined && BASE64_PART.test(p))) {
        throw new Error('not a sealed secret: a part is not base64')
      }
      const iv = Buffer.from(ivText ?? '', 'base64')
      const tag = Buffer.from(tagText ?? '', 'base64')
      // Fixed lengths: GCM would accept a shorter tag, which is easier to forge.
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('not a sealed secret: wrong IV or tag length')
      const decipher = createDecipheriv('aes-256-gcm', k, iv, { authTagLength: TAG_BYTES })
      decipher.setAuthTag(tag)
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText ?? '', 'base64')), decipher.final()]).toString('utf8')
      } catch {
        throw new Error('cannot open sealed secret: wrong encryption key or the value was changed')
      }
    },
  }
}
