-- Portal sessions, as SQLite's 0010_portal_sessions (see 0001_init.sql for how the dialects differ).
CREATE TABLE portal_sessions (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  capabilities TEXT NOT NULL,
  theme TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_tenant ON portal_sessions(tenant_id, id);
CREATE INDEX portal_sessions_expiry ON portal_sessions(expires_at);
