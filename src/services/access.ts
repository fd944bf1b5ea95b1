import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { newId } from '../core/ids.js'
import { CAPABILITIES, type Capability } from '../core/capabilities.js'
import type { ApiKey, PortalSession, PortalTheme } from '../core/model.js'
import { AppError } from '../errors.js'
import type { Store } from '../store/store.js'

export type Principal =
  | { kind: 'admin' }
  | { kind: 'tenant'; tenantId: string; keyId: string }
  | { kind: 'portal'; tenantId: string; session: PortalSession }

/** What a principal may do beyond reading: everything, but for a portal token its session's list. */
export const capabilitiesOf = (p: Principal): readonly Capability[] => (p.kind === 'portal' ? p.session.capabilities : CAPABILITIES)

/** Why a token was refused, for the 401's detail (the code stays `unauthorized`). */
export type Refusal = { kind: 'refused'; detail?: string }

/** Portal tokens carry their own prefix, so they are looked up in the store every time, never remembered. */
const PORTAL_PREFIX = 'hrp_'

const ADMIN_HASH_SETTING = 'admin_token_hash'
/**
 * How long what a token resolved to is trusted: a deleted key or a reset admin token stops working
 * at once in the process that made the change, and within this long in the others (which read the
 * stored admin hash again, and look keys up again, this long after they last did). Default 10 s.
 */
const CACHE_MS = 10_000
/**
 * Past this many remembered headers the memo is emptied rather than grown, and a header longer
 * than MEMO_MAX_CHARS (no token we issue is) is not remembered: made-up tokens cannot hold more
 * than about 10 MB.
 */
const MEMO_LIMIT = 10_000
const MEMO_MAX_CHARS = 512

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')
const newSecretToken = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`

/** Who a bearer token is: the admin, or a tenant's API key (stored as a SHA-256 hash, shown once). */
export class Access {
  private adminHash: Buffer = Buffer.alloc(32)
  /** When the stored admin hash was last read; null when HOOKRELAY_ADMIN_TOKEN fixes it. */
  private adminReadAt: number | null = null
  /**
   * What an Authorization header resolved to (the admin, a key, or nobody), by the header itself,
   * so that a request with a header seen within CACHE_MS costs one Map lookup instead of a regular
   * expression, a SHA-256 and a comparison (about 3 us of the ~80 a publish costs). Portal tokens
   * are never remembered (identify). Emptied whenever an answer it holds may have changed: a key
   * deleted, a tenant deleted, the admin hash set or found changed in the store. A lookup compares
   * the header's text with a remembered one only where V8's (seeded) string hashes agree, so its
   * timing says nothing useful about a remembered token; the admin check proper stays
   * timingSafeEqual on the hashes.
   */
  private readonly memo = new Map<string, { at: number; principal: Principal | null }>()
  /** Counts the memo's emptyings: an answer looked up before one is not remembered after it. */
  private memoEpoch = 0

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Settles the admin token: HOOKRELAY_ADMIN_TOKEN when given; otherwise the one generated on the
   * first start, whose hash is stored. Returns the token only when it was just generated, to print once.
   */
  async init(configured: string | null): Promise<string | null> {
    if (configured !== null) {
      this.setAdminHash(hashToken(configured))
      return null
    }
    const candidate = newSecretToken('hr_admin')
    const stored = await this.store.initSetting(ADMIN_HASH_SETTING, hashToken(candidate))
    this.setAdminHash(stored)
    this.adminReadAt = this.now()
    return stored === hashToken(candidate) ? candidate : null
  }

  /**
   * Undoes a token init() just generated, when the start fails before it was shown: the next start
   * generates (and prints) another, rather than the data directory keeping a token nobody saw.
   */
  async forgetGenerated(token: string): Promise<void> {
    await this.store.deleteSetting(ADMIN_HASH_SETTING, hashToken(token))
  }

  /**
   * `hookrelay admin-token reset`: a new admin token, whose hash replaces the stored one. Running
   * servers read the stored hash again at most CACHE_MS after they last did, so the old token stops
   * working there within that (a read per request would cost PostgreSQL a round trip each).
   */
  async reset(): Promise<string> {
    const token = newSecretToken('hr_admin')
    await this.store.setSetting(ADMIN_HASH_SETTING, hashToken(token))
    this.setAdminHash(hashToken(token))
    this.adminReadAt = this.now()
    return token
  }

  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    const who = await this.identify(authorization)
    return who === null || who.kind === 'refused' ? null : who
  }

  /**
   * What identify() would answer, when that is known without asking the store: the header was
   * resolved within CACHE_MS and nothing it depends on changed since. Undefined otherwise (then
   * call identify). Synchronous, so the request hook that asks goes on in the same turn.
   */
  known(authorization: string | undefined): Principal | null | undefined {
    if (authorization === undefined) return null
    const hit = this.memo.get(authorization)
    if (hit === undefined) return undefined
    const t = this.now()
    // Past CACHE_MS the entry is stale, and so may be the admin hash it was checked against.
    if (t - hit.at >= CACHE_MS || (this.adminReadAt !== null && t - this.adminReadAt >= CACHE_MS)) return undefined
    return hit.principal
  }

  /** As authenticate, but a refused portal token says why (expired, or revoked). */
  async identify(authorization: string | undefined): Promise<Principal | Refusal | null> {
    if (authorization === undefined) return null
    const known = this.known(authorization)
    if (known !== undefined) return known
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (!m) return null
    const token = m[1]!
    const hash = hashToken(token)
    const hashBuf = Buffer.from(hash, 'hex')
    const t = this.now()
    if (this.adminReadAt !== null && t - this.adminReadAt >= CACHE_MS) {
      // A reset (another process) replaced the stored hash: take it up within CACHE_MS.
      this.adminReadAt = t
      const stored = await this.store.getSetting(ADMIN_HASH_SETTING)
      if (stored !== null) this.setAdminHash(stored)
    }
    const epoch = this.memoEpoch
    if (timingSafeEqual(hashBuf, this.adminHash)) return this.remember(authorization, epoch, t, { kind: 'admin' })
    if (token.startsWith(PORTAL_PREFIX)) {
      // Never remembered: a revoked session must stop at once on every node, and portal traffic is
      // a person clicking, one primary-key lookup per request.
      const session = await this.store.findPortalSession(hash)
      if (session === null) return { kind: 'refused', detail: 'This portal session was revoked or never existed; ask for a new link.' }
      if (session.expiresAt <= t) return { kind: 'refused', detail: `This portal session expired at ${new Date(session.expiresAt).toISOString()}; ask for a new link.` }
      return { kind: 'portal', tenantId: session.tenantId, session }
    }
    const key = await this.store.findApiKey(hash)
    return this.remember(authorization, epoch, t, key ? { kind: 'tenant', tenantId: key.tenantId, keyId: key.id } : null)
  }

  /**
   * Remembers an answer, unless the memo was emptied since it was looked up (`epoch`): a key
   * deleted while its lookup was in flight must not be remembered as valid.
   */
  private remember(authorization: string, epoch: number, at: number, principal: Principal | null): Principal | null {
    if (epoch !== this.memoEpoch || authorization.length > MEMO_MAX_CHARS) return principal
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear()
    this.memo.set(authorization, { at, principal })
    return principal
  }

  private forgetAll(): void {
    this.memo.clear()
    this.memoEpoch++
  }

  /** A new admin hash (set here, or found changed in the store): what the memo says of any token may be wrong now. */
  private setAdminHash(hex: string): void {
    const next = Buffer.from(hex, 'hex')
    if (next.equals(this.adminHash)) return
    this.adminHash = next
    this.forgetAll()
  }

  async createApiKey(tenantId: string, name: string): Promise<{ record: ApiKey; key: string }> {
    if (!(await this.store.getTenant(tenantId))) throw new AppError('not_found', `Tenant ${tenantId} not found.`)
    const key = newSecretToken('hrk')
    const record: ApiKey = { id: newId('key'), tenantId, name, createdAt: this.now() }
    await this.store.createApiKey(record, hashToken(key))
    return { record, key }
  }

  async deleteApiKey(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteApiKey(tenantId, id))) throw new AppError('not_found', `API key ${id} not found.`)
    this.forgetAll()
  }

  /** A portal session for the tenant; the token is returned only here (its hash is stored). */
  async createPortalSession(
    tenantId: string,
    input: { expiresInSeconds: number; capabilities: Capability[]; theme: PortalTheme },
  ): Promise<{ session: PortalSession; token: string }> {
    if (!(await this.store.getTenant(tenantId))) throw new AppError('not_found', `Tenant ${tenantId} not found.`)
    const now = this.now()
    // Expired sessions are kept no longer than it takes to make the next one.
    await this.store.prunePortalSessions(now)
    const token = newSecretToken(PORTAL_PREFIX.slice(0, -1))
    const session: PortalSession = {
      id: newId('ps', now),
      tenantId,
      capabilities: [...new Set(input.capabilities)],
      theme: input.theme,
      expiresAt: now + input.expiresInSeconds * 1000,
      createdAt: now,
    }
    await this.store.createPortalSession(session, hashToken(token))
    return { session, token }
  }

  async revokePortalSession(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deletePortalSession(tenantId, id))) throw new AppError('not_found', `Portal session ${id} not found.`)
  }

  /** Forget remembered keys (a tenant was deleted). */
  forget(): void {
    this.forgetAll()
  }
}
