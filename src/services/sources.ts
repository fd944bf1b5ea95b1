import { randomBytes } from 'node:crypto'
import { isValidEventTypeName, isValidEventTypePattern } from '../core/event-filter.js'
import { isValidPath } from '../core/field-paths.js'
import { DEFAULT_IDEMPOTENCY_WINDOW_SECONDS } from '../core/idempotency-key.js'
import { newId } from '../core/ids.js'
import type { Mapping } from '../core/mappings.js'
import type { Source, SourceRequest, SourceVerification, VerificationType } from '../core/model.js'
import { maskSecret } from '../core/shaping/mask-header.js'
import { generateSecret } from '../core/signing/standard-webhooks.js'
import { AppError, invalid, notFound, type FieldError } from '../errors.js'
import { DEFAULT_HMAC_HEADER } from '../inbound/verifiers/index.js'
import type { Page, SourcePatch, Store } from '../store/store.js'
import type { CredentialBox } from './endpoint-auth.js'
import { rotateSecrets } from './secret-keys.js'

/** Verification as the API takes it. */
export interface VerificationInput {
  type: VerificationType
  secret?: string
  header?: string
  encoding?: 'hex' | 'base64'
  prefix?: string
  toleranceSeconds?: number
}

export interface MappingInput {
  eventType: string
  action: 'publish'
  publishAs?: string | null
  fields?: Record<string, string> | null
  required?: string[]
}

export interface SourceInput {
  name?: string
  enabled?: boolean
  verification?: VerificationInput
  eventTypePath?: string
  timestampPath?: string | null
  idempotency?: { keyPath: string; windowSeconds?: number } | null
  mappings?: MappingInput[]
}

const DEFAULT_TOLERANCE_SECONDS = 300
/** Providers that issue the secret themselves: Hookrelay cannot make one up for them. */
const PROVIDER_ISSUED: ReadonlySet<VerificationType> = new Set(['stripe', 'shopify', 'slack'])

/** Told whenever a source changes, so the ingest path's cache forgets it. */
export interface SourceChanges {
  forget(sourceId: string): void
  forgetAll(): void
}

/**
 * Sources: their configuration and secrets. What they do with what they receive is
 * inbound/ingest.ts.
 */
export class SourceService {
  constructor(
    private readonly store: Store,
    private readonly box: CredentialBox,
    private readonly changes: SourceChanges,
    private readonly now: () => number = Date.now,
  ) {}

  async create(tenantId: string, input: SourceInput & { verification: VerificationInput }): Promise<Source> {
    if (!(await this.store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
    const now = this.now()
    const v = input.verification
    const source: Source = {
      id: newId('src', now),
      tenantId,
      name: input.name ?? '',
      enabled: input.enabled ?? true,
      verification: verificationOf(v),
      secretHint: null,
      eventTypePath: input.eventTypePath ?? 'event_type',
      timestampPath: input.timestampPath ?? null,
      idempotency: input.idempotency ? { keyPath: input.idempotency.keyPath, windowSeconds: input.idempotency.windowSeconds ?? DEFAULT_IDEMPOTENCY_WINDOW_SECONDS } : null,
      mappings: (input.mappings ?? []).map(mappingOf),
      createdAt: now,
      updatedAt: now,
    }
    const errors = [...validate(source), ...hmacOnlyErrors(v)]
    let secret: string | null = null
    if (v.type !== 'none') {
      secret = v.secret ?? null
      if (secret === null) errors.push({ path: '/verification/secret', message: `is required for ${v.type} verification` })
      else errors.push(...secretErrors(v.type, secret))
    } else if (v.secret !== undefined) errors.push({ path: '/verification/secret', message: 'is not used by verification none' })
    fail(errors)
    source.secretHint = secret === null ? null : maskSecret(secret)
    await this.store.createSource(source, secret === null ? null : { current: this.box.seal(secret), previous: [] })
    return source
  }

  async get(tenantId: string, id: string): Promise<Source> {
    const s = await this.store.getSource(tenantId, id)
    if (!s) throw notFound(`Source ${id}`)
    return s
  }

  async list(tenantId: string, page: Page): Promise<Source[]> {
    if (!(await this.store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
    return this.store.listSources(tenantId, page)
  }

  /**
   * A `verification` replaces the current one. Its secret may be left out, or sent back as the
   * hint the API showed, to keep the stored one, as long as the type stays the same.
   */
  async update(tenantId: string, id: string, input: SourceInput): Promise<Source> {
    const current = await this.get(tenantId, id)
    const patch: SourcePatch = {}
    if (input.name !== undefined) patch.name = input.name
    if (input.enabled !== undefined) patch.enabled = input.enabled
    if (input.eventTypePath !== undefined) patch.eventTypePath = input.eventTypePath
    if (input.timestampPath !== undefined) patch.timestampPath = input.timestampPath
    if (input.idempotency !== undefined) {
      patch.idempotency = input.idempotency && { keyPath: input.idempotency.keyPath, windowSeconds: input.idempotency.windowSeconds ?? DEFAULT_IDEMPOTENCY_WINDOW_SECONDS }
    }
    if (input.mappings !== undefined) patch.mappings = input.mappings.map(mappingOf)
    const errors = validate({ ...current, ...patch, ...(input.verification ? { verification: verificationOf(input.verification) } : {}) })
    if (input.verification) errors.push(...hmacOnlyErrors(input.verification))
    let newSecret: string | null | undefined // undefined: keep what is stored
    const v = input.verification
    if (v) {
      patch.verification = verificationOf(v)
      const sameType = v.type === current.verification.type
      const keep = sameType && (v.secret === undefined || v.secret === current.secretHint)
      if (v.type === 'none') {
        if (v.secret !== undefined) errors.push({ path: '/verification/secret', message: 'is not used by verification none' })
        newSecret = current.verification.type === 'none' ? undefined : null
      } else if (!keep) {
        if (v.secret === undefined) errors.push({ path: '/verification/secret', message: `is required when changing to ${v.type} verification` })
        else errors.push(...secretErrors(v.type, v.secret))
        newSecret = v.secret
      }
    }
    fail(errors)
    const now = this.now()
    if (newSecret !== undefined) {
      await this.store.setSourceSecrets(id, newSecret === null ? null : { current: this.box.seal(newSecret), previous: [] }, newSecret === null ? null : maskSecret(newSecret), now)
    }
    const updated = await this.store.updateSource(tenantId, id, patch, now)
    if (!updated) throw notFound(`Source ${id}`)
    this.changes.forget(id)
    return updated
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteSource(tenantId, id))) throw notFound(`Source ${id}`)
    this.changes.forget(id)
  }

  /** A tenant was deleted, and its sources with it: nothing cached may keep taking their requests. */
  tenantDeleted(): void {
    this.changes.forgetAll()
  }

  async revealSecret(tenantId: string, id: string): Promise<string> {
    await this.get(tenantId, id)
    const sealed = await this.store.getSourceSecrets(id)
    if (!sealed) throw new AppError('validation_failed', `Source ${id} verifies nothing (verification none): it has no secret.`)
    return this.box.open(sealed.current)
  }

  /** The new secret verifies at once; each one rotated out is still accepted for 24 hours (up to MAX_PREVIOUS_SECRETS). */
  async rotateSecret(tenantId: string, id: string, secret: string | undefined): Promise<string> {
    const src = await this.get(tenantId, id)
    const type = src.verification.type
    if (type === 'none') throw new AppError('validation_failed', `Source ${id} verifies nothing (verification none): it has no secret to rotate.`)
    if (secret === undefined && PROVIDER_ISSUED.has(type)) throw invalid('/secret', `is required: ${type} issues the secret, so paste the new one from it`)
    const next = secret ?? (type === 'standard-webhooks' ? generateSecret() : randomBytes(32).toString('hex'))
    fail(secretErrors(type, next, '/secret'))
    const now = this.now()
    const store = this.store
    // Every verifying source has a secret (creation and a change of type require one), so none
    // here means the source was deleted, or set to verify nothing, since it was read above.
    const rotated = await rotateSecrets(() => store.getSourceSecrets(id), (s, ifCurrent) => store.setSourceSecrets(id, s, maskSecret(next), now, ifCurrent), this.box.seal(next), now)
    if (!rotated) throw notFound(`Source ${id}`)
    this.changes.forget(id)
    return next
  }

  async logs(tenantId: string, id: string, page: Page): Promise<SourceRequest[]> {
    await this.get(tenantId, id)
    return this.store.listSourceRequests(id, page)
  }
}

function verificationOf(v: VerificationInput): SourceVerification {
  const hmac = v.type === 'hmac'
  return {
    type: v.type,
    header: hmac ? (v.header ?? DEFAULT_HMAC_HEADER) : null,
    encoding: hmac ? (v.encoding ?? 'hex') : null,
    prefix: hmac ? (v.prefix ?? '') : null,
    toleranceSeconds: v.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
  }
}

function mappingOf(m: MappingInput): Mapping {
  return { eventType: m.eventType, action: m.action, publishAs: m.publishAs ?? null, fields: m.fields ?? null, required: m.required ?? [] }
}

/**
 * Settings only the hmac scheme reads: the others have their header, encoding and prefix fixed by
 * their provider. Sent with another type they would be dropped without a word, so they are refused.
 */
function hmacOnlyErrors(v: VerificationInput): FieldError[] {
  if (v.type === 'hmac') return []
  return (['header', 'encoding', 'prefix'] as const).filter((f) => v[f] !== undefined).map((f) => ({ path: `/verification/${f}`, message: `is only used by hmac verification, not ${v.type}` }))
}

function secretErrors(type: VerificationType, secret: string, path = '/verification/secret'): FieldError[] {
  if (secret.length === 0) return [{ path, message: 'must not be empty' }]
  // Its hint (maskSecret: the last characters) is stored as text, which on PostgreSQL cannot hold U+0000.
  if (secret.includes('\u0000')) return [{ path, message: 'must not contain U+0000' }]
  if (type === 'standard-webhooks' && secret === 'whsec_') return [{ path, message: 'must not be empty after whsec_' }]
  // Any other secret is taken as it is: the sender picked it, and Standard Webhooks keys of any
  // length verify (core/signing/standard-webhooks.ts secretKey: base64 with or without whsec_ is
  // decoded, anything else is its UTF-8 bytes).
  return []
}

/** What the schema cannot check: paths, mapping types and their fields. */
function validate(s: Pick<Source, 'eventTypePath' | 'timestampPath' | 'idempotency' | 'mappings' | 'verification'>): FieldError[] {
  const errors: FieldError[] = []
  const path = (p: string | null | undefined, at: string) => {
    if (p !== null && p !== undefined && !isValidPath(p)) errors.push({ path: at, message: 'must be a dot path (a.b.c) or $headers.<name>' })
  }
  path(s.eventTypePath, '/eventTypePath')
  path(s.timestampPath, '/timestampPath')
  path(s.idempotency?.keyPath, '/idempotency/keyPath')
  if (s.verification.type === 'hmac' && s.verification.header !== null && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s.verification.header)) {
    errors.push({ path: '/verification/header', message: 'is not a valid header name' })
  }
  s.mappings.forEach((m, i) => {
    const at = `/mappings/${i}`
    if (m.eventType !== '*' && m.eventType.includes('*') && !isValidEventTypePattern(m.eventType)) {
      errors.push({ path: `${at}/eventType`, message: 'must be an event type, * or a pattern with * segments' })
    }
    if (m.publishAs !== null && !isValidEventTypeName(m.publishAs)) {
      errors.push({ path: `${at}/publishAs`, message: 'must be an event type name: dot-separated a-z, 0-9, _ and -' })
    }
    for (const [target, p] of Object.entries(m.fields ?? {})) path(p, `${at}/fields/${target}`)
    m.required.forEach((r, j) => {
      if (m.fields !== null && !Object.hasOwn(m.fields, r)) errors.push({ path: `${at}/required/${j}`, message: `names no field: ${r} is not in fields` })
    })
  })
  return errors
}

function fail(errors: FieldError[]): void {
  if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
}
