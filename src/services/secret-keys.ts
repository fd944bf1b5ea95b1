import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createSecretBox, parseEncryptionKey } from '../core/secret-box.js'

export type SecretBox = ReturnType<typeof createSecretBox>

/**
 * The key that seals secrets at rest: HOOKRELAY_ENCRYPTION_KEY when set, otherwise a key file
 * generated once in the data directory (mode 0600). Losing the key file makes stored secrets
 * unreadable, which is why operators running more than one node must set the variable.
 */
export function loadSecretBox(encryptionKey: string | null, dataDir: string): SecretBox {
  if (encryptionKey !== null) return createSecretBox(parseEncryptionKey(encryptionKey))
  const file = join(dataDir, 'encryption.key')
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch {
    mkdirSync(dataDir, { recursive: true })
    text = randomBytes(32).toString('base64')
    writeFileSync(file, text + '\n', { mode: 0o600, flag: 'wx' })
  }
  return createSecretBox(parseEncryptionKey(text))
}
