import type { Source } from '../core/model.js'
import type { CredentialBox } from '../services/endpoint-auth.js'
import type { SourceChanges } from '../services/sources.js'
import type { Store } from '../store/store.js'
import { ExpiringCache } from '../services/expiring-cache.js'
import { activeSecrets } from '../services/secret-keys.js'

/** A source as the ingest path needs it: its settings and the secrets that verify right now. */
export interface IngestTarget {
  source: Source
  /** The current secret first, then each rotated-out one while its 24 hours last. Empty for verification none. */
  secrets: string[]
  /** When the first of the rotated-out secrets stops verifying, so the entry expires with it. */
  validUntil: number
}

/**
 * Cached sources for /in: one database read and one decryption per source per `ttlMs` (default
 * 5 s), not per request. Changes made in this process are forgotten at once; the TTL covers other
 * nodes. Unknown ids are cached too (as null), so a flood of requests to a made-up id costs no reads.
 */
export class SourceCache implements SourceChanges {
  private readonly entries: ExpiringCache<IngestTarget | null>

  constructor(
    private readonly store: Store,
    private readonly box: CredentialBox,
    private readonly now: () => number = Date.now,
    ttlMs = 5000,
  ) {
    this.entries = new ExpiringCache((sourceId) => this.load(sourceId), {
      now,
      ttlMs,
      expiresAt: (t) => t?.validUntil ?? Number.POSITIVE_INFINITY,
      // A flood of distinct made-up ids must not grow memory.
      limit: 10_000,
    })
  }

  get(sourceId: string): Promise<IngestTarget | null> {
    return this.entries.get(sourceId)
  }

  forget(sourceId: string): void {
    this.entries.delete(sourceId)
  }

  forgetAll(): void {
    this.entries.clear()
  }

  private async load(sourceId: string): Promise<IngestTarget | null> {
    const [source, sealed] = await Promise.all([this.store.getSource(null, sourceId), this.store.getSourceSecrets(sourceId)])
    if (!source) return null
    // Verification none has no secret: nothing to open, nothing that expires.
    const { secrets, validUntil } = sealed ? activeSecrets(sealed, this.box, this.now()) : { secrets: [], validUntil: Number.POSITIVE_INFINITY }
    return { source, secrets, validUntil }
  }
}
