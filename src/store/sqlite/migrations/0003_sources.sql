-- Inbound sources (API.md, Inbound sources): what they verify and map, their sealed secrets, the
-- log of every request received, and the idempotency keys seen within each source's window.
CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  -- SourceVerification as JSON (no secret in it).
  verification TEXT NOT NULL,
  -- AES-256-GCM sealed; the previous secret is accepted too until previous_expires_at.
  secret_sealed TEXT,
  secret_hint TEXT,
  previous_secret_sealed TEXT,
  previous_expires_at INTEGER,
  event_type_path TEXT NOT NULL DEFAULT 'event_type',
  timestamp_path TEXT,
  idempotency TEXT,
  mappings TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX sources_tenant ON sources(tenant_id, id);

-- A rowid table, appended to in time order: rows carry whole request bodies, which a WITHOUT ROWID
-- table would keep inside its B-tree pages and copy around on every insert. The body has its own
-- column so it is stored as received, not escaped inside a JSON document.
CREATE TABLE source_requests (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  event_type TEXT,
  idempotency_key TEXT,
  error TEXT,
  actions TEXT NOT NULL DEFAULT '[]',
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  -- Header secrets redacted.
  headers TEXT NOT NULL,
  body TEXT NOT NULL
);
-- A source's log, newest first, and the cascade when a source is deleted.
CREATE UNIQUE INDEX source_requests_source ON source_requests(source_id, id);

CREATE TABLE source_idempotency (
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (source_id, key)
) WITHOUT ROWID;
