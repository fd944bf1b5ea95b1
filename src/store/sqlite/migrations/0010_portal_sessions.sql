-- Portal sessions (API.md, "Dashboard and portal"): a bearer token scoped to one tenant, stored as
-- its SHA-256 like an API key. Revoking deletes the row; an expired row is refused at once and
-- pruned when the next session is made.
CREATE TABLE portal_sessions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  -- JSON: Capability[]
  capabilities TEXT NOT NULL,
  -- JSON: PortalTheme
  theme TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX portal_sessions_tenant ON portal_sessions(tenant_id, id);
CREATE INDEX portal_sessions_expiry ON portal_sessions(expires_at);
