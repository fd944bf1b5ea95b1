import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { generateSecret } from '../core/signing/standard-webhooks.js'
import { makePrivateDir } from '../private-files.js'

/**
 * `hookrelay listen` signs with a secret of its own, and a developer puts it in their app's
 * settings once: so it is kept across runs, one per server and tenant, as `stripe listen` keeps
 * its. The file is the user's: `$XDG_CONFIG_HOME/hookrelay/listen-secrets.json` (default
 * `~/.config/hookrelay`, the XDG Base Directory default), 0600 in a 0700 directory, as it holds
 * signing secrets.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec: a relative XDG_CONFIG_HOME is invalid and is ignored.
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'hookrelay')
}

/** `{server: {tenant: secret}}` */
type Kept = Record<string, Record<string, string>>

export interface ListenSecret {
  secret: string
  /** Where it is kept. */
  file: string
  /** The secret was made in this run (not found in the file, not given). */
  created: boolean
}

/**
 * The secret to sign with for this server and tenant: `given` (then kept in its place), the one
 * kept from an earlier run, or a new one, kept from now on.
 */
export function listenSecret(server: string, tenant: string, given: string | undefined, env: NodeJS.ProcessEnv = process.env): ListenSecret {
  const dir = configDir(env)
  const file = join(dir, 'listen-secrets.json')
  const kept = read(file)
  const before = kept[server]?.[tenant]
  const secret = given ?? before ?? generateSecret()
  if (secret !== before) {
    kept[server] = { ...kept[server], [tenant]: secret }
    makePrivateDir(dir)
    // Written whole beside the file, then renamed over it: a run stopped halfway leaves the old file.
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, file)
  }
  return { secret, file, created: given === undefined && before === undefined }
}

function read(file: string): Kept {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new Error(`cannot read ${file}: ${(err as Error).message}`)
  }
  try {
    const parsed = JSON.parse(text) as unknown
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Kept
  } catch {
    // Reported below.
  }
  throw new Error(`${file} is not the JSON this CLI writes: fix or delete it`)
}
