import { createHash } from 'node:crypto'
import { asEventTime, readPath, type PathSource } from '../core/field-paths.js'
import { DEFAULT_IDEMPOTENCY_WINDOW_SECONDS, storableKey } from '../core/idempotency-key.js'
import { newId } from '../core/ids.js'
import { mappingMatches, planAction } from '../core/mappings.js'
import type { Source, SourceAction, SourceRequest } from '../core/model.js'
import { parseBody } from '../core/parse-body.js'
import { AppError, notFound } from '../errors.js'
import type { Publisher } from '../services/publisher.js'
import type { SourceRequestWrite, Store } from '../store/store.js'
import { redactHeaders } from '../core/redact-headers.js'
import { redactPath } from '../core/redact-path.js'
import type { RequestLog } from './request-log.js'
import type { SourceCache } from './source-cache.js'
import { verifiers } from './verifiers/index.js'

export interface ReceivedRequest {
  sourceId: string
  /** `POST /in/{id}/track`: a Segment track call. */
  track: boolean
  method: string
  path: string
  /** Header names lowercased, as Node gives them. */
  headers: Record<string, string | string[] | undefined>
  /** The body exactly as received: signatures are checked on these bytes, before any parsing. */
  rawBody: Buffer
}

/**
 * 202 accepted, 200 a duplicate (a track call answers 204 either way), or 200 with the challenge
 * of a Slack URL verification.
 */
export type IngestAnswer =
  | { status: 200 | 202; body: { accepted: true; eventType: string | null; duplicate: boolean } }
  | { status: 200; body: { challenge: string } }

/** Bodies of refused requests are kept up to this much in the log: enough to debug, not a flood's worth. */
const REFUSED_BODY_BYTES = 64 * 1024
/**
 * Idempotency keys remembered in memory (the database holds them all); oldest forgotten first. Keys
 * are bounded by storableKey (at most 256 characters), so this is a few tens of MB at worst.
 */
const RECENT_KEYS = 100_000

/**
 * What /in does with a request (API.md, Inbound sources): verify the signature on the raw bytes,
 * parse (JSON, or a form: core/parse-body.ts), find the event type, time and idempotency key by path,
 * run the matching mappings (each a publish into the tenant's outbound pipeline), and log the
 * request with what its actions did.
 * Refusals are AppErrors (404, 401, 400, 422), logged first; everything else answers 202 or 200.
 */
export class Ingest {
  private readonly recent = new Map<string, number>()

  constructor(
    private readonly d: {
      cache: SourceCache
      log: RequestLog
      publisher: Pick<Publisher, 'publish'>
      store: Pick<Store, 'hasIdempotencyClaim'>
      /** Told the status of every request received (metrics). */
      onReceived?: (status: SourceRequest['status']) => void
      now?: () => number
    },
  ) {}

  async handle(req: ReceivedRequest): Promise<IngestAnswer> {
    const target = await this.d.cache.get(req.sourceId)
    // A disabled source answers as if it did not exist: its URL no longer takes anything.
    if (!target || !target.source.enabled) throw notFound(`Source ${req.sourceId}`)
    const src = target.source
    const now = (this.d.now ?? Date.now)()
    const v = src.verification
    const logged = (status: SourceRequest['status'], fields: Partial<Omit<SourceRequest, 'request'>>): SourceRequestWrite['log'] => {
      this.d.onReceived?.(status)
      return {
        id: newId('req', now),
        sourceId: src.id,
        receivedAt: now,
        status,
        eventType: null,
        idempotencyKey: null,
        error: null,
        actions: [],
        request: {
          method: req.method,
          path: redactPath(req.path),
          headers: redactHeaders(req.headers, v.header),
          body: status === 'accepted' || status === 'duplicate' ? req.rawBody : req.rawBody.subarray(0, REFUSED_BODY_BYTES),
        },
        ...fields,
      }
    }

    const verified = verifiers[v.type]({
      rawBody: req.rawBody,
      headers: req.headers,
      secrets: target.secrets,
      nowMs: now,
      toleranceSeconds: v.toleranceSeconds,
      ...(v.header !== null ? { header: v.header } : {}),
      ...(v.encoding !== null ? { encoding: v.encoding } : {}),
      ...(v.prefix !== null ? { prefix: v.prefix } : {}),
    })
    if (!verified.ok) {
      await this.d.log.write({ log: logged('verification_failed', { error: verified.reason }), claim: null })
      throw new AppError('verification_failed', `The signature did not verify: ${verified.reason}.`)
    }

    const contentType = req.headers['content-type']
    const parsed = parseBody(req.rawBody, Array.isArray(contentType) ? contentType[0] : contentType)
    if (!parsed.ok) {
      await this.d.log.write({ log: logged('invalid', { error: parsed.error }), claim: null })
      throw new AppError(parsed.code, parsed.detail)
    }
    const body = parsed.body
    // Slack's Events API sends a signed {"type": "url_verification", "challenge"} to a URL before it
    // sends events there, and takes the URL once the challenge comes back
    // (https://api.slack.com/events/url_verification): answered here, no mapping runs for it.
    const challenge = !req.track && v.type === 'slack' ? slackChallenge(body) : null
    if (challenge !== null) {
      await this.d.log.write({ log: logged('accepted', { eventType: SLACK_URL_VERIFICATION }), claim: null })
      return { status: 200, body: { challenge } }
    }
    const from: PathSource = { body, headers: req.headers }
    const call = req.track ? trackCall(body) : null
    if (req.track && call === null) {
      await this.d.log.write({ log: logged('invalid', { error: 'a track call needs an event' }), claim: null })
      throw new AppError('invalid_event', 'A Segment track call needs `event`, the name of what happened, as a non-empty string.')
    }
    const eventType = call ? call.event : textAt(from, src.eventTypePath)
    const timeText = src.timestampPath !== null ? readPath(from, src.timestampPath) : call?.timestamp
    const occurredAt = asEventTime(timeText) ?? now

    // Segment's messageId is its de-duplication key (segment.com/docs/connections/spec/common/):
    // a track call to a source without an idempotency setting of its own is de-duplicated by it,
    // with the default window, so a Segment retry is a duplicate. The source's own setting wins.
    const idempotency = src.idempotency ?? (call !== null ? SEGMENT_IDEMPOTENCY : null)
    // Bounded before anything keeps it (the map below, the database): a key of any length or
    // content from the body becomes one every dialect stores, and a repeat still matches.
    const read = idempotency ? textAt(from, idempotency.keyPath) : null
    const received = idempotency && read !== null ? { key: storableKey(read), windowSeconds: idempotency.windowSeconds } : null
    const key = received?.key ?? null
    let claim: { key: string; expiresAt: number } | null = null
    if (received !== null) {
      claim = { key: received.key, expiresAt: now + received.windowSeconds * 1000 }
      if (!(await this.claim(src.id, claim.key, now, claim.expiresAt))) {
        await this.d.log.write({ log: logged('duplicate', { eventType, idempotencyKey: key }), claim: null })
        return { status: 200, body: { accepted: true, eventType, duplicate: true } }
      }
    }

    const actions = await this.runMappings(src, from, eventType, occurredAt, received, now)
    await this.d.log.write({ log: logged('accepted', { eventType, idempotencyKey: key, actions }), claim })
    return { status: 202, body: { accepted: true, eventType, duplicate: false } }
  }

  /** Every matching mapping, published together (they share a group commit); each outcome is recorded. */
  private runMappings(
    src: Source,
    from: PathSource,
    eventType: string | null,
    occurredAt: number,
    received: { key: string; windowSeconds: number } | null,
    receivedAt: number,
  ): Promise<SourceAction[]> {
    return Promise.all(
      src.mappings.flatMap((m, i) => {
        if (!mappingMatches(m, eventType)) return []
        const plan = planAction(m, from, eventType)
        if (plan.status !== 'publish') return [Promise.resolve<SourceAction>({ action: 'publish', status: plan.status, error: plan.error, eventId: null })]
        // A provider's retry after a crash that lost the idempotency record must not publish twice:
        // the outbound event carries a key of its own, derived from the received one and from the
        // window it arrived in, so the same key after the source's window publishes again. The
        // received key enters only as a digest, so this key has a fixed length whatever was sent.
        const idempotencyKey =
          received === null
            ? null
            : `in:${src.id}:${i}:${Math.floor(receivedAt / (received.windowSeconds * 1000))}:${createHash('sha256').update(received.key).digest('base64url')}`
        return [
          this.d.publisher.publish(src.tenantId, { type: plan.type, payload: plan.payload, occurredAt, idempotencyKey }).then(
            (r): SourceAction => ({ action: 'publish', status: 'succeeded', error: null, eventId: r.event.id }),
            (e: unknown): SourceAction => ({ action: 'publish', status: 'failed', error: describe(e), eventId: null }),
          ),
        ]
      }),
    )
  }

  /**
   * Whether this request is the first with its key in the window. The key is taken in memory before
   * the database is asked, so concurrent repeats in this process see it at once; repeats on other
   * nodes are caught by the database, or failing that by the outbound idempotency key.
   */
  private async claim(sourceId: string, key: string, now: number, until: number): Promise<boolean> {
    const held = this.recent.get(`${sourceId}\n${key}`)
    if (held !== undefined && held > now) return false
    this.remember(sourceId, key, until)
    return !(await this.d.store.hasIdempotencyClaim(sourceId, key, now))
  }

  private remember(sourceId: string, key: string, until: number): void {
    if (this.recent.size >= RECENT_KEYS) {
      // Forget the oldest tenth; the database still answers for them.
      let n = RECENT_KEYS / 10
      for (const k of this.recent.keys()) {
        this.recent.delete(k)
        if (--n === 0) break
      }
    }
    this.recent.set(`${sourceId}\n${key}`, until)
  }
}

/** A value at a path as text: strings as they are, numbers as written; anything else is no value. */
function textAt(from: PathSource, path: string): string | null {
  const v = readPath(from, path)
  if (typeof v === 'string') return v === '' ? null : v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return null
}

/** How track calls are de-duplicated when their source says nothing: by Segment's messageId. */
const SEGMENT_IDEMPOTENCY = { keyPath: 'messageId', windowSeconds: DEFAULT_IDEMPOTENCY_WINDOW_SECONDS }

const SLACK_URL_VERIFICATION = 'url_verification'

/** The challenge of a Slack URL verification request, or null when the body is not one. */
function slackChallenge(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const b = body as Record<string, unknown>
  return b.type === SLACK_URL_VERIFICATION && typeof b.challenge === 'string' ? b.challenge : null
}

/** A Segment track call's event name and time; null when it has no event. */
function trackCall(body: unknown): { event: string; timestamp: unknown } | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const b = body as Record<string, unknown>
  if (typeof b.event !== 'string' || b.event.trim() === '') return null
  return { event: b.event, timestamp: b.timestamp }
}

function describe(e: unknown): string {
  if (e instanceof AppError) return e.errors.length > 0 ? `${e.message} (${e.errors.map((x) => `${x.path}: ${x.message}`).join('; ')})` : e.message
  return 'the event could not be published'
}
