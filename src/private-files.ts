import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs'

/**
 * The data directory holds the database (every payload, sealed secrets, the admin token's hash) and
 * the encryption key file: nobody but the server's user should read them (API.md, "Limits on bad
 * input"). Modes are set explicitly, not left to the umask, which is often 022 and would give
 * 0755/0644. What already exists is left as the operator made it.
 */

/** Makes `dir` (and missing parents) when it does not exist yet; a directory made here is 0700. */
export function makePrivateDir(dir: string): void {
  // mkdirSync returns the first directory it made, or undefined when `dir` already existed.
  const made = mkdirSync(dir, { recursive: true, mode: 0o700 })
  if (made !== undefined) chmodSync(dir, 0o700)
}

/**
 * Creates `path` empty with mode 0600 unless it exists already. SQLite then opens it as a new
 * database, and gives its -wal and -shm files the database file's mode.
 */
export function touchPrivateFile(path: string): void {
  let fd: number
  try {
    fd = openSync(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return
    throw err
  }
  try {
    fchmodSync(fd, 0o600)
  } finally {
    closeSync(fd)
  }
}
