import { fdatasync, openSync } from 'node:fs'

/**
 * Durability for group commits without blocking the event loop. A publish transaction commits
 * with synchronous=NORMAL (its WAL frames written, not yet flushed), then waits for an fdatasync
 * of the WAL file on libuv's thread pool before anyone is answered. Commits made while one flush
 * runs share the next one, so the disk sees one flush per group however many publishes are
 * waiting, and the main thread never sits in fsync. (SQLite's own synchronous=FULL would flush
 * inside COMMIT, on the main thread, once per transaction.) Checkpoints still sync the database
 * file themselves before the WAL is reused.
 */
export function createWalSync(walPath: string): () => Promise<void> {
  let fd: number | null = null
  return coalesce(
    () =>
      new Promise<void>((resolve, reject) => {
        // The WAL exists from the first write on and lives as long as the connection.
        fd ??= openSync(walPath, 'r')
        fdatasync(fd, (err) => (err ? reject(err) : resolve()))
      }),
  )
}

/**
 * Wraps a flush so that every caller gets a flush that STARTED after its call, and callers who
 * arrive while one runs share the single next one.
 */
export function coalesce(flush: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let next: Promise<void> | null = null
  return function sync(): Promise<void> {
    if (running === null) {
      running = flush().finally(() => (running = null))
      return running
    }
    next ??= running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        next = null
        return sync()
      })
    return next
  }
}
