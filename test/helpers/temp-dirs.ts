/**
 * Temporary directories for a describe block, e.g. a data directory per child process. Removed in
 * its afterAll, registered first so it runs after the block's own afterAll hooks (vitest runs
 * after-hooks in reverse): by then the processes and clients that used them are gone.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

/** Returns `dir(name)`, which makes `<tmpdir>/hookrelay-<prefix>-<name>-XXXXXX` and answers its path. */
export function useTempDirs(prefix: string): (name: string) => string {
  const dirs: string[] = []
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  return (name) => {
    const d = mkdtempSync(join(tmpdir(), `hookrelay-${prefix}-${name}-`))
    dirs.push(d)
    return d
  }
}
