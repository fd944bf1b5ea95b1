import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SealedSecrets } from '../store/store.js'
import { activeSecrets, loadSecretBox, MAX_PREVIOUS_SECRETS, ROTATION_OVERLAP_MS, rotatedSecrets } from './secret-keys.js'

// "Sealed" here is the secret with a prefix, so what opens is plain to read in the expectations.
const box = { open: (sealed: string) => sealed.replace(/^sealed:/, '') }
const seal = (secret: string) => `sealed:${secret}`

const T0 = 1_800_000_000_000
const MINUTE = 60_000
const DAY = ROTATION_OVERLAP_MS

/** Rotates from `first` through `next`, one rotation at each of `times`. */
function rotations(first: string, next: Array<[string, number]>): SealedSecrets {
  let sealed: SealedSecrets = { current: seal(first), previous: [] }
  for (const [secret, at] of next) sealed = rotatedSecrets(sealed, seal(secret), at)
  return sealed
}

describe('activeSecrets', () => {
  it('is the current secret alone, for ever, before any rotation', () => {
    expect(activeSecrets({ current: seal('s0'), previous: [] }, box, T0)).toEqual({ secrets: ['s0'], validUntil: Number.POSITIVE_INFINITY })
  })

  it('after three rotations keeps all three old secrets, each until its own 24-hour mark', () => {
    const sealed = rotations('s0', [
      ['s1', T0],
      ['s2', T0 + MINUTE],
      ['s3', T0 + 2 * MINUTE],
    ])
    // The current one first, then the rotated-out ones, newest first.
    expect(activeSecrets(sealed, box, T0 + 2 * MINUTE)).toEqual({ secrets: ['s3', 's2', 's1', 's0'], validUntil: T0 + DAY })
    expect(activeSecrets(sealed, box, T0 + DAY - 1)).toEqual({ secrets: ['s3', 's2', 's1', 's0'], validUntil: T0 + DAY })
    // s0 was rotated out at T0, s1 a minute later, s2 two minutes later: each drops out at its own mark.
    expect(activeSecrets(sealed, box, T0 + DAY)).toEqual({ secrets: ['s3', 's2', 's1'], validUntil: T0 + DAY + MINUTE })
    expect(activeSecrets(sealed, box, T0 + DAY + MINUTE)).toEqual({ secrets: ['s3', 's2'], validUntil: T0 + DAY + 2 * MINUTE })
    expect(activeSecrets(sealed, box, T0 + DAY + 2 * MINUTE)).toEqual({ secrets: ['s3'], validUntil: Number.POSITIVE_INFINITY })
  })

  it('opens only the secrets that count', () => {
    const opened: string[] = []
    const sealed = rotations('s0', [
      ['s1', T0],
      ['s2', T0 + DAY],
    ])
    activeSecrets(sealed, { open: (s) => (opened.push(s), box.open(s)) }, T0 + DAY)
    expect(opened).toEqual([seal('s2'), seal('s1')])
  })
})

describe('rotatedSecrets', () => {
  it('drops the secrets already expired when it rotates', () => {
    const sealed = rotations('s0', [
      ['s1', T0],
      ['s2', T0 + DAY + 1],
    ])
    expect(sealed).toEqual({ current: seal('s2'), previous: [{ sealed: seal('s1'), expiresAt: T0 + 2 * DAY + 1 }] })
  })

  it(`keeps at most ${MAX_PREVIOUS_SECRETS} rotated-out secrets: past that the oldest stops counting at once`, () => {
    const next = Array.from({ length: MAX_PREVIOUS_SECRETS + 2 }, (_, i): [string, number] => [`s${i + 1}`, T0 + i * MINUTE])
    const sealed = rotations('s0', next)
    expect(sealed.previous).toHaveLength(MAX_PREVIOUS_SECRETS)
    const { secrets, validUntil } = activeSecrets(sealed, box, T0 + next.length * MINUTE)
    expect(secrets).toEqual(['s12', 's11', 's10', 's9', 's8', 's7', 's6', 's5', 's4', 's3', 's2'])
    // s2 was rotated out by the third rotation, at T0 + 2 minutes.
    expect(validUntil).toBe(T0 + 2 * MINUTE + DAY)
  })

  it('starts an empty list for a source that had no secret', () => {
    expect(rotatedSecrets(null, seal('s1'), T0)).toEqual({ current: seal('s1'), previous: [] })
  })
})

describe('loadSecretBox', () => {
  const sqlite = { dialect: 'sqlite' as const, initSetting: async (_k: string, v: string) => v }
  const noWarning = (message: string) => expect.fail(`unexpected warning: ${message}`)

  it('seals with HOOKRELAY_ENCRYPTION_KEY when it is set, and writes no key file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookrelay-keys-'))
    try {
      const key = randomBytes(32)
      const fromEnv = await loadSecretBox(key.toString('hex'), dir, sqlite, noWarning)
      expect(existsSync(join(dir, 'encryption.key'))).toBe(false)
      // The same key given as base64 opens what the hex form sealed.
      const sameKey = await loadSecretBox(key.toString('base64'), dir, sqlite, noWarning)
      expect(sameKey.open(fromEnv.seal('whsec_x'))).toBe('whsec_x')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('otherwise generates a key file in the data directory, readable by its owner only, and keeps using it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'hookrelay-keys-')), 'data')
    try {
      const first = await loadSecretBox(null, dir, sqlite, noWarning)
      const file = join(dir, 'encryption.key')
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const sealed = first.seal('whsec_y')
      const again = await loadSecretBox(null, dir, sqlite, noWarning)
      expect(again.open(sealed)).toBe('whsec_y')
      expect(readFileSync(file, 'utf8').trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true })
    }
  })
})
