import { isValidEventTypePattern } from '../core/event-filter.js'
import { newId } from '../core/ids.js'
import type { NetworkPolicies } from '../core/network-policies.js'
import type { Attempt, AttemptRequest, Endpoint, EndpointAuth, EndpointOrdering, HeaderValue, HttpMethod, JsonObject, PayloadSettings, RetrySettings, StoredEvent } from '../core/model.js'
import { DEFAULT_PAYLOAD } from '../core/shaping/payload-body.js'
import { shapeRuleErrors } from '../core/shaping/request-shape.js'
import { isTemplate } from '../core/shaping/templates.js'
import { generateSecret, isValidSecret } from '../core/signing/standard-webhooks.js'
import { metadataTooLarge } from '../core/limits.js'
import { DEFAULT_RETRY } from '../core/retry-settings.js'
import { attemptRecord } from '../delivery/attempt-record.js'
import { buildAttemptRequest, sendAttempt } from '../delivery/send-attempt.js'
import type { Sender } from '../delivery/sender.js'
import { AppError, invalid, notFound, type FieldError } from '../errors.js'
import { checkShapeBounded } from '../rendering/render-bounded.js'
import type { EndpointPatch, EndpointStats, Page, Store } from '../store/store.js'
import { requireAllowedTarget } from './allowed-target.js'
import { resolveAuth, type AuthInput } from './endpoint-auth.js'
import type { EndpointDirectory } from './endpoint-directory.js'
import { openHeaders, resolveHeaders } from './endpoint-headers.js'
import { rotateSecrets } from './secret-keys.js'

export { DEFAULT_RETRY }

/**
 * What signs a preview's request (API.md: "a placeholder secret"): the request shows every header a
 * delivery sends, but its signature verifies with this, never with the endpoint's own secret.
 */
export const PREVIEW_SECRET = 'whsec_cHJldmlldyBzaWduaW5nIHNlY3JldCwgbm90IHJlYWw='

export interface EndpointInput {
  name?: string
  description?: string
  url?: string
  enabled?: boolean
  eventTypes?: string[]
  channels?: string[]
  retry?: Partial<RetrySettings>
  timeoutSeconds?: number
  rateLimitPerSecond?: number | null
  ordering?: EndpointOrdering
  metadata?: JsonObject
  method?: HttpMethod
  auth?: AuthInput
  headers?: Record<string, string>
  queryParams?: Record<string, string>
  /** Fields left out keep their value (their default on create). */
  payload?: Partial<PayloadSettings>
}

export interface EndpointServiceDeps {
  store: Store
  directory: EndpointDirectory
  /** The SSRF policies: the tenant's allowedNetworks, or the server-wide list. */
  policies: NetworkPolicies
  sender: Sender
  /** Wakes the local dispatcher after re-queuing; absent on an api-only node. */
  wake: () => void
  /** The `retry` of endpoints created without one, field by field (HOOKRELAY_DEFAULT_RETRY). Default DEFAULT_RETRY. */
  defaultRetry?: RetrySettings
  /** Refuse http:// endpoint URLs (HOOKRELAY_REQUIRE_HTTPS). Default false. */
  requireHttps?: boolean
  /** Told of each test send's attempt once recorded (live streams). Default: nobody. */
  onTestAttempt?: (attempt: Attempt, event: { id: string; type: string }) => void
  now?: () => number
}

export type EndpointStatsOut = EndpointStats & { successRate: number | null }

export class EndpointService {
  private readonly now: () => number

  constructor(private readonly d: EndpointServiceDeps) {
    this.now = d.now ?? Date.now
  }

  async create(tenantId: string, input: EndpointInput & { url: string }): Promise<Endpoint> {
    if (!(await this.d.store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
    const endpoint = this.draft(tenantId, input, this.now())
    const { auth, headers } = await this.validate(endpoint, input, null)
    Object.assign(endpoint, { auth, headers })
    await this.d.store.createEndpoint(endpoint, { current: this.d.directory.seal(generateSecret()), previous: [] })
    this.d.directory.invalidate(tenantId, endpoint.id)
    return endpoint
  }

  /**
   * The request a delivery of this event to an endpoint made of `input` (as for create) would send
   * now (API.md, POST .../endpoints/preview), built by the delivery's own code with
   * PREVIEW_SECRET signing; nothing is sent or stored. Validation errors are those of create
   * (under /endpoint), but where the URL resolves is not looked up: the save does that. Credentials
   * are the ones given: a stored endpoint's are never opened here, so reading is all it takes.
   */
  async preview(tenantId: string, input: EndpointInput & { url: string }, event: { type: string; payload: JsonObject | null }): Promise<AttemptRequest> {
    const tenant = await this.d.store.getTenant(tenantId)
    if (!tenant) throw notFound(`Tenant ${tenantId}`)
    const now = this.now()
    const endpoint = this.draft(tenantId, input, now)
    let open: { auth: EndpointAuth<string>; headers: Record<string, string> }
    try {
      ;({ plain: open } = await this.validate(endpoint, input, null, { checkTarget: false }))
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'validation_failed') throw err
      const errors = err.errors.map((e) => ({ path: `/endpoint${e.path}`, message: e.message }))
      throw new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
    }
    const payload = event.payload ?? (await this.d.store.getEventType(event.type))?.example ?? {}
    const outbound = { id: newId('evt', now), type: event.type, payloadJson: JSON.stringify(payload), occurredAt: now }
    const target = this.d.directory.compileTarget(endpoint, open, tenant, [PREVIEW_SECRET])
    const built = await buildAttemptRequest(target, outbound, now)
    if (!built.ok) {
      // Create has compiled and rendered the URL and headers: what is left to fail is the body.
      throw new AppError('template_failed', `The template failed against this event: ${built.message}`, [{ path: '/endpoint/payload/template', message: built.message }])
    }
    return built.request
  }

  /** An endpoint record from create's input, every field left out at its default; auth and headers are set once validated. */
  private draft(tenantId: string, input: EndpointInput & { url: string }, now: number): Endpoint {
    // The operator's default is the default of every field a partial `retry` leaves out.
    const retry = mergeRetry(this.d.defaultRetry ?? DEFAULT_RETRY, input.retry)
    return {
      id: newId('ep', now),
      tenantId,
      name: input.name ?? '',
      description: input.description ?? '',
      url: input.url,
      method: input.method ?? 'POST',
      auth: { type: 'none' },
      headers: {},
      queryParams: input.queryParams ?? {},
      payload: { ...DEFAULT_PAYLOAD, ...input.payload },
      enabled: input.enabled ?? true,
      disabledReason: null,
      eventTypes: input.eventTypes ?? [],
      channels: input.channels ?? [],
      retry,
      timeoutSeconds: input.timeoutSeconds ?? 30,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      ordering: input.ordering ?? 'none',
      metadata: input.metadata ?? {},
      failingSince: null,
      degradedSince: null,
      createdAt: now,
      updatedAt: now,
    }
  }

  async get(tenantId: string, id: string): Promise<Endpoint> {
    const ep = await this.d.store.getEndpoint(tenantId, id)
    if (!ep) throw notFound(`Endpoint ${id}`)
    return ep
  }

  async list(tenantId: string, page: Page): Promise<Endpoint[]> {
    if (!(await this.d.store.getTenant(tenantId))) throw notFound(`Tenant ${tenantId}`)
    return this.d.store.listEndpoints(tenantId, page)
  }

  async update(tenantId: string, id: string, input: EndpointInput): Promise<Endpoint> {
    const current = await this.get(tenantId, id)
    const patch: EndpointPatch = {
      ...input,
      auth: undefined, // sealed below, once validated
      headers: undefined, // the same
      retry: input.retry ? mergeRetry(current.retry, input.retry) : undefined,
      payload: input.payload ? { ...current.payload, ...input.payload } : undefined,
    }
    for (const k of Object.keys(patch) as Array<keyof EndpointPatch>) if (patch[k] === undefined) delete patch[k]
    // Re-enabling clears the reason and the failure streak that led to the disabling.
    if (input.enabled === true && !current.enabled) Object.assign(patch, { disabledReason: null, failingSince: null })
    if (input.enabled === false && current.enabled) patch.disabledReason = null
    const { auth, headers } = await this.validate({ ...current, ...patch }, input, current)
    if (input.auth !== undefined) patch.auth = auth
    if (input.headers !== undefined) patch.headers = headers
    const updated = await this.d.store.updateEndpoint(tenantId, id, patch, this.now())
    if (!updated) throw notFound(`Endpoint ${id}`)
    this.d.directory.invalidate(tenantId, id)
    // No longer fifo: what waited its turn goes now, as any unordered delivery. (Turned fifo, the
    // endpoint orders what is published from then on; what is queued already goes as it was.)
    if (current.ordering === 'fifo' && updated.ordering !== 'fifo' && (await this.d.store.releaseOrdered(id, this.now())) > 0) this.d.wake()
    return updated
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.d.store.deleteEndpoint(tenantId, id))) throw notFound(`Endpoint ${id}`)
    this.d.directory.invalidate(tenantId, id)
  }

  async revealSecret(tenantId: string, id: string): Promise<string> {
    await this.get(tenantId, id)
    const sealed = await this.d.store.getSecrets(id)
    if (!sealed) throw notFound(`Endpoint ${id}`)
    return this.d.directory.open(sealed.current)
  }

  async rotateSecret(tenantId: string, id: string, secret: string | undefined): Promise<string> {
    await this.get(tenantId, id)
    if (secret !== undefined && !isValidSecret(secret)) {
      throw invalid('/secret', 'must be whsec_ followed by 24 to 64 bytes in base64')
    }
    const next = secret ?? generateSecret()
    const now = this.now()
    // Every secret rotated out in the last 24 hours keeps signing, up to MAX_PREVIOUS_SECRETS.
    const store = this.d.store
    const rotated = await rotateSecrets(() => store.getSecrets(id), (s, ifCurrent) => store.setSecrets(id, s, now, ifCurrent), this.d.directory.seal(next), now)
    if (!rotated) throw notFound(`Endpoint ${id}`)
    this.d.directory.invalidate(tenantId, id)
    return next
  }

  /** Sends one event to this endpoint now, whatever its filters, and returns the recorded attempt. */
  async test(tenantId: string, id: string, input: { eventType?: string; payload?: JsonObject }): Promise<Attempt> {
    await this.get(tenantId, id)
    const target = await this.d.directory.sendTarget(id)
    if (!target) throw notFound(`Endpoint ${id}`)
    const now = this.now()
    const payload = input.payload ?? { message: 'This is a test event from Hookrelay.', endpointId: id }
    const event: StoredEvent = {
      id: newId('evt', now),
      tenantId,
      type: input.eventType ?? 'webhook.test',
      payloadJson: JSON.stringify(payload),
      channels: [],
      idempotencyKey: null,
      occurredAt: now,
      createdAt: now,
      deliveryCount: 1,
    }
    const { result, logged } = await sendAttempt(this.d.sender, target, event, now)
    const status = result.response?.status
    const success = status !== undefined && status >= 200 && status <= 299
    const deliveryId = newId('dlv', now)
    const attempt = attemptRecord({ deliveryId, endpointId: id, tenantId, attemptNumber: 1, trigger: 'test', request: logged, result, success })
    const done = this.now()
    await this.d.store.recordTestDelivery(
      { id: deliveryId, tenantId, eventId: event.id, endpointId: id, status: success ? 'succeeded' : 'failed', attemptCount: 1, nextAttemptAt: null, leasedUntil: null, createdAt: now, updatedAt: done },
      event,
      attempt,
    )
    this.d.onTestAttempt?.(attempt, event)
    return attempt
  }

  async stats(tenantId: string, id: string, since: number): Promise<EndpointStatsOut> {
    await this.get(tenantId, id)
    const s = await this.d.store.endpointStats(id, since)
    const finished = s.succeeded + s.failed
    return { ...s, successRate: finished === 0 ? null : s.succeeded / finished }
  }

  async recover(tenantId: string, id: string, since: number, dryRun = false): Promise<number> {
    await this.get(tenantId, id)
    if (dryRun) return this.d.store.countFailed(tenantId, id, since)
    const count = await this.d.store.recoverFailed(tenantId, id, since, this.now())
    if (count > 0) this.d.wake()
    return count
  }

  /** A tenant's name, metadata or allowedNetworks changed: sends must see the new values. */
  tenantChanged(tenantId: string): void {
    this.d.directory.forgetTenant(tenantId)
  }

  /**
   * Checks what the schema cannot: the URL (after Liquid) and its target, filter patterns, retry
   * bounds, metadata size, auth, headers and templates. Returns the auth and headers to store
   * (credentials sealed) and in the clear; `current` is the endpoint being updated, whose
   * credentials a PATCH keeps. `checkTarget: false` skips the look-up of where the URL resolves. Default true.
   */
  private async validate(
    ep: Endpoint,
    input: EndpointInput,
    current: Endpoint | null,
    opts: { checkTarget?: boolean } = {},
  ): Promise<{ auth: EndpointAuth; headers: Record<string, HeaderValue>; plain: { auth: EndpointAuth<string>; headers: Record<string, string> } }> {
    const errors: FieldError[] = []
    let auth: EndpointAuth = { type: 'none' }
    let plain: EndpointAuth<string> = { type: 'none' }
    if (input.auth === undefined && current !== null) {
      auth = current.auth
      plain = this.d.directory.openAuth(current.auth)
    } else {
      const resolved = resolveAuth(input.auth ?? { type: 'none' }, current?.auth ?? null, this.d.directory)
      if (resolved.ok) ({ auth, plain } = resolved)
      else errors.push(...resolved.errors)
    }
    const { stored: headers, plain: plainHeaders } =
      input.headers === undefined && current !== null
        ? { stored: current.headers, plain: openHeaders(current.headers, this.d.directory) }
        : resolveHeaders(input.headers ?? {}, current?.headers ?? null, this.d.directory)
    const open = { ...ep, headers: plainHeaders }
    errors.push(...shapeRuleErrors(open, plain))
    const tenant = await this.d.store.getTenant(ep.tenantId)
    if (!tenant) throw notFound(`Tenant ${ep.tenantId}`)
    // Templates are parsed, and the URL and headers rendered, on a render thread: a template that
    // runs long is refused (422) without holding up the API.
    const tenantOwner = { id: tenant.id, name: tenant.name, metadata: tenant.metadata }
    const checked = await checkShapeBounded({ endpoint: open, tenant: tenantOwner, auth: plain, maxOutputBytes: this.d.directory.maxOutputBytes })
    errors.push(...checked.errors)
    const url = checked.url === null ? null : new URL(checked.url)
    if (url && (url.username || url.password)) errors.push({ path: '/url', message: 'must not carry credentials; use auth' })
    if (url && this.d.requireHttps && url.protocol !== 'https:' && (input.url !== undefined || input.metadata !== undefined)) errors.push({ path: '/url', message: 'must be https:// (this server requires HTTPS: HOOKRELAY_REQUIRE_HTTPS)' })
    ep.eventTypes.forEach((p, i) => {
      if (!isValidEventTypePattern(p)) errors.push({ path: `/eventTypes/${i}`, message: 'must be an event type name or a pattern with * segments' })
    })
    const r = ep.retry
    const maxAllowed = r.schedule ? Math.max(5, r.schedule.length) : 5
    if (r.maxRetries > maxAllowed) {
      errors.push({ path: '/retry/maxRetries', message: r.schedule ? `must be at most ${maxAllowed} (the schedule's length)` : 'must be between 0 and 5' })
    }
    if (metadataTooLarge(ep.metadata)) errors.push({ path: '/metadata', message: 'must be at most 16 KiB' })
    if (metadataTooLarge(ep.payload.extraFields)) errors.push({ path: '/payload/extraFields', message: 'must be at most 16 KiB' })
    if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
    // The target is checked again (after DNS) when the rendered URL may have changed.
    if (url && opts.checkTarget !== false && (input.url !== undefined || (isTemplate(ep.url) && input.metadata !== undefined))) {
      await requireAllowedTarget(url.href, this.d.policies.for(tenant.allowedNetworks), '/url')
    }
    return { auth, headers, plain: { auth: plain, headers: plainHeaders } }
  }
}

function mergeRetry(base: RetrySettings, patch: Partial<RetrySettings> | undefined): RetrySettings {
  const schedule = patch?.schedule !== undefined ? patch.schedule : base.schedule
  // Fields left out keep their value (API.md): a schedule alone does not raise maxRetries.
  const maxRetries = patch?.maxRetries ?? base.maxRetries
  return { enabled: patch?.enabled ?? base.enabled, maxRetries, schedule: schedule ?? null }
}
