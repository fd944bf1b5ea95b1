import type { SourceRequestWrite, Store } from '../store/store.js'

/**
 * Writes the log of received requests (and their idempotency keys) in batches: requests arriving
 * together share one transaction, as publishes share a group commit. Each write resolves once it
 * is committed. The queue is bounded: in a flood, requests that were refused anyway
 * (`verification_failed`, `invalid`) are counted and dropped rather than queued, so a flood of
 * bad requests cannot grow memory or hold up the writes of good ones.
 */
export class RequestLog {
  private queue: Array<{ item: SourceRequestWrite; done: () => void }> = []
  private scheduled = false
  private writing: Promise<void> = Promise.resolve()
  private droppedCount = 0
  /** Queued plus taken for a write not yet committed: what the bound applies to. */
  private pending = 0

  constructor(
    private readonly store: Pick<Store, 'recordSourceRequests'>,
    /** Requests queued at most; past it refused ones are dropped. Default 5,000. */
    private readonly maxQueued = 5000,
    /** Rows per transaction. Default 1,000. */
    private readonly batchSize = 1000,
  ) {}

  /** Refused requests not logged because the queue was full. */
  get dropped(): number {
    return this.droppedCount
  }

  write(item: SourceRequestWrite): Promise<void> {
    const refused = item.log.status === 'verification_failed' || item.log.status === 'invalid'
    if (refused && this.pending >= this.maxQueued) {
      this.droppedCount++
      return Promise.resolve()
    }
    this.pending++
    return new Promise<void>((done) => {
      this.queue.push({ item, done })
      if (this.queue.length >= this.batchSize) void this.flush()
      else if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => void this.flush())
      }
    })
  }

  /** Writes everything queued; calls are serialized. */
  flush(): Promise<void> {
    this.scheduled = false
    const batch = this.queue.splice(0, this.batchSize)
    if (batch.length === 0) return this.writing
    this.writing = this.writing.then(async () => {
      try {
        await this.store.recordSourceRequests(batch.map((b) => b.item))
      } catch {
        // A log that cannot be written must not fail the request it describes: the events it
        // published are committed already. Nothing else to do here.
      }
      this.pending -= batch.length
      for (const b of batch) b.done()
      if (this.queue.length > 0) void this.flush()
    })
    return this.writing
  }
}
