import type { Source } from '../core/model.js'
import type { CredentialBox } from '../services/endpoint-auth.js'
import type { SourceChanges } from '../services/sources.js'
import type { Store } from '../store/store.js'

/** A source as the ingest path needs it: its settings and the secrets that verify right now. */
export interface IngestTarget {
  source: Source
  /** The current secret first; the previous one too while its 24 hours last. Empty for verification none. */
  secrets: string[]
  /** When the previous secret stops verifying, so the entry expires with it. */
  validUntil: number
}

/**
 * Cached sources for /in: one database read and one decryption per source per `ttlMs` (default
 * 5 s), not per request. Changes made in this process are forgotten at once; the TTL covers other
 * nodes. Unknown ids are cached too (as null), so a flood of requests to a made-up id costs no reads.
 */
export class SourceCache implements SourceChanges {
  private readonly entries = new Map<string, { at: number; value: Promise<IngestTarget | null> }>()
  /** Bounded: a flood of distinct made-up ids must not grow memory. When full it is emptied. */
  private static readonly LIMIT = 10_000

  constructor(
    private readonly store: Store,
    private readonly box: CredentialBox,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 5000,
  ) {}

  get(sourceId: string): Promise<IngestTarget | null> {
    const t = this.now()
    const hit = this.entries.get(sourceId)
    if (hit && t - hit.at < this.ttlMs) return hit.value.then((v) => (v === null || v.validUntil > this.now() ? v : this.load(sourceId)))
    return this.load(sourceId)
  }

  forget(sourceId: string): void {
    this.entries.delete(sourceId)
  }

  forgetAll(): void {
    this.entries.clear()
  }

  private load(sourceId: string): Promise<IngestTarget | null> {
    const value = (async (): Promise<IngestTarget | null> => {
      const [source, sealed] = await Promise.all([this.store.getSource(null, sourceId), this.store.getSourceSecrets(sourceId)])
      if (!source) return null
      const now = this.now()
      const secrets: string[] = []
      let validUntil = Number.POSITIVE_INFINITY
      if (sealed) {
        secrets.push(this.box.open(sealed.current))
        if (sealed.previous !== null && sealed.previousExpiresAt !== null && sealed.previousExpiresAt > now) {
          secrets.push(this.box.open(sealed.previous))
          validUntil = sealed.previousExpiresAt
        }
      }
      return { source, secrets, validUntil }
    })()
    if (this.entries.size >= SourceCache.LIMIT) this.entries.clear()
    this.entries.set(sourceId, { at: this.now(), value })
    value.catch(() => this.entries.delete(sourceId))
    return value
  }
}
