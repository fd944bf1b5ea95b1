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

/** Portal tokens carry their own prefix, so they are looked up without touching the API-key cache. */
const PORTAL_PREFIX = 'hrp_'

const ADMIN_HASH_SETTING = 'admin_token_hash'
/** A deleted key stops working at once in this process, and within this long on other nodes. */
const CACHE_MS = 10_000

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')
const newSecretToken = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`

/** Who a bearer token is: the admin, or a tenant's API key (stored as a SHA-256 hash, shown once). */
export class Access {
  private adminHash: Buffer = Buffer.alloc(32)
  /** When the stored admin hash was last read; null when HOOKRELAY_ADMIN_TOKEN fixes it. */
  private adminReadAt: number | null = null
  private readonly cache = new Map<string, { at: number; principal: Principal | null }>()

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
      this.adminHash = Buffer.from(hashToken(configured), 'hex')
      return null
    }
    const candidate = newSecretToken('hr_admin')
    const stored = await this.store.initSetting(ADMIN_HASH_SETTING, hashToken(candidate))
    this.adminHash = Buffer.from(stored, 'hex')
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
    this.adminHash = Buffer.from(hashToken(token), 'hex')
    this.adminReadAt = this.now()
    return token
  }

  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    const who = await this.identify(authorization)
    return who === null || who.kind === 'refused' ? null : who
  }

  /** As authenticate, but a refused portal token says why (expired, or revoked). */
  async identify(authorization: string | undefined): Promise<Principal | Refusal | null> {
    if (authorization === undefined) return null
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
      if (stored !== null) this.adminHash = Buffer.from(stored, 'hex')
    }
    if (timingSafeEqual(hashBuf, this.adminHash)) return { kind: 'admin' }
    if (token.startsWith(PORTAL_PREFIX)) {
      // Never cached: a revoked session must stop at once on every node, and portal traffic is a
      // person clicking, one primary-key lookup per request.
      const session = await this.store.findPortalSession(hash)
      if (session === null) return { kind: 'refused', detail: 'This portal session was revoked or never existed; ask for a new link.' }
      if (session.expiresAt <= t) return { kind: 'refused', detail: `This portal session expired at ${new Date(session.expiresAt).toISOString()}; ask for a new link.` }
      return { kind: 'portal', tenantId: session.tenantId, session }
    }
    const hit = this.cache.get(hash)
    if (hit && t - hit.at < CACHE_MS) return hit.principal
    const key = await this.store.findApiKey(hash)
    const principal: Principal | null = key ? { kind: 'tenant', tenantId: key.tenantId, keyId: key.id } : null
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(hash, { at: t, principal })
    return principal
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
    this.cache.clear()
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

  /** Forget cached keys (a tenant was deleted). */
  forget(): void {
    this.cache.clear()
  }
}
