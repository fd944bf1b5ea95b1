import { randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSecretBox, parseEncryptionKey } from '../core/secret-box.js'
import { makePrivateDir } from '../private-files.js'
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
    makePrivateDir(dataDir)
    text = randomBytes(32).toString('base64')
    writeFileSync(file, text + '\n', { mode: 0o600, flag: 'wx' })
    // The mode above is subject to the umask; this one is not.
    chmodSync(file, 0o600)
  }
  return createSecretBox(parseEncryptionKey(text))
}

/** How long a rotated-out secret keeps counting beside the new one (API.md: 24 hours). */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000

/**
 * How many rotated-out secrets count at most (default 10). Rotating more often than that within
 * 24 hours drops the oldest one at once: without a bound a rotation loop would grow the row and
 * every delivery's webhook-signature header (one entry per secret) without limit.
 */
export const MAX_PREVIOUS_SECRETS = 10

/**
 * The secrets after rotating to `next` (sealed) at `now`: the current one joins the previous ones
 * for ROTATION_OVERLAP_MS, expired ones go, and past MAX_PREVIOUS_SECRETS the oldest go.
 */
export function rotatedSecrets(sealed: SealedSecrets | null, next: string, now: number): SealedSecrets {
  if (sealed === null) return { current: next, previous: [] }
  const kept = sealed.previous.filter((p) => p.expiresAt > now)
  return { current: next, previous: [{ sealed: sealed.current, expiresAt: now + ROTATION_OVERLAP_MS }, ...kept].slice(0, MAX_PREVIOUS_SECRETS) }
}

/** Rotations tried before giving up, should other rotations keep landing in between. */
const ROTATION_TRIES = 10

/**
 * Rotates to `next` (sealed) as a compare-and-set on the current secret: a rotation that lands
 * between this one's read and write makes it read again, so two rotations at once keep each other's
 * secret among the previous ones instead of the later write dropping the earlier one's. Returns
 * false when there are no secrets to rotate (the owner is gone).
 */
export async function rotateSecrets(
  read: () => Promise<SealedSecrets | null>,
  write: (secrets: SealedSecrets, ifCurrent: string) => Promise<boolean>,
  next: string,
  now: number,
): Promise<boolean> {
  for (let i = 0; i < ROTATION_TRIES; i++) {
    const sealed = await read()
    if (sealed === null) return false
    if (await write(rotatedSecrets(sealed, next, now), sealed.current)) return true
  }
  throw new Error(`secret rotation lost ${ROTATION_TRIES} races in a row`)
}

/**
 * The secrets that count now: the current one first, then every rotated-out one whose overlap
 * lasts, newest first; `validUntil` is when that set next changes (the earliest of their expiries,
 * or never), which callers cache by.
 */
export function activeSecrets(sealed: SealedSecrets, box: Pick<SecretBox, 'open'>, now: number): { secrets: string[]; validUntil: number } {
  const live = sealed.previous.filter((p) => p.expiresAt > now).slice(0, MAX_PREVIOUS_SECRETS)
  return {
    secrets: [box.open(sealed.current), ...live.map((p) => box.open(p.sealed))],
    validUntil: Math.min(Number.POSITIVE_INFINITY, ...live.map((p) => p.expiresAt)),
  }
}
