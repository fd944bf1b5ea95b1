import BetterSqlite3 from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { startCheckpointer } from './checkpointer.js'

const dirs: string[] = []

/** Polls until `check` holds, for up to 10 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 10_000
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met within 10 s')
    await new Promise((r) => setTimeout(r, 20))
  }
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

it('copies the WAL into the database file from its own thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-ckpt-'))
  dirs.push(dir)
  const path = join(dir, 'db.sqlite')
  const db = new BetterSqlite3(path)
  db.pragma('journal_mode = WAL')
  db.pragma('wal_autocheckpoint = 0')
  db.exec('CREATE TABLE t (v TEXT)')
  const insert = db.prepare('INSERT INTO t VALUES (?)')
  const write = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run('x'.repeat(2000))
  })
  write(2000) // about 4 MB of WAL, which nothing on this thread checkpoints
  const before = statSync(path).size
  const ckpt = startCheckpointer(path, { intervalMs: 20 })
  try {
    await eventually(async () => statSync(path).size > before + 3_000_000)
    // Every frame is copied: a checkpoint here has nothing left to do.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>
    expect(r!.checkpointed).toBe(r!.log)
  } finally {
    await ckpt.stop()
    db.close()
  }
})

it('stops cleanly, twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookrelay-ckpt-'))
  dirs.push(dir)
  const path = join(dir, 'db.sqlite')
  const db = new BetterSqlite3(path)
  db.pragma('journal_mode = WAL')
  const ckpt = startCheckpointer(path)
  await ckpt.stop()
  await ckpt.stop()
  db.close()
})
