import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createSecretBox, parseEncryptionKey } from '../core/secret-box.js'
import type { SealedSecrets, Store } from '../store/store.js'

export type SecretBox = ReturnType<typeof createSecretBox>

/**
 * The key that seals secrets at rest: HOOKRELAY_ENCRYPTION_KEY when set. Otherwise one generated
 * on first start: on SQLite a key file in the data directory (mode 0600); on PostgreSQL, where
 * several nodes must seal and open with the same key, a setting in the database itself, which the
 * first node to start writes and the others read (`warn` says so: a backup of the database then
 * carries the key, so production should set the variable).
 */
export async function loadSecretBox(
  encryptionKey: string | null,
  dataDir: string,
  store: Pick<Store, 'dialect' | 'initSetting'>,
  warn: (message: string) => void,
): Promise<SecretBox> {
  if (encryptionKey !== null) return createSecretBox(parseEncryptionKey(encryptionKey))
  if (store.dialect === 'postgres') {
    warn('HOOKRELAY_ENCRYPTION_KEY is not set: secrets are sealed with a key kept in the database itself. Set it so database backups do not carry the key.')
    return createSecretBox(parseEncryptionKey(await store.initSetting('encryption_key', randomBytes(32).toString('base64'))))
  }
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

/**
 * The secrets that count now: the current one first, and the previous one while its rotation
 * overlap lasts; `validUntil` is when that set changes (the previous one's expiry, or never).
 */
export function activeSecrets(sealed: SealedSecrets, box: Pick<SecretBox, 'open'>, now: number): { secrets: string[]; validUntil: number } {
  const secrets = [box.open(sealed.current)]
  if (sealed.previous === null || sealed.previousExpiresAt === null || sealed.previousExpiresAt <= now) {
    return { secrets, validUntil: Number.POSITIVE_INFINITY }
  }
  secrets.push(box.open(sealed.previous))
  return { secrets, validUntil: sealed.previousExpiresAt }
}
