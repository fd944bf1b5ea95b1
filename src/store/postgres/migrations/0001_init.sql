-- Hookrelay schema, PostgreSQL dialect: the meaning of SQLite's 0001_init, 0002_request_shaping and
-- 0003_sources in one file, with the same table and column names so that schema.ts and rows.ts
-- serve both dialects. Where this differs from SQLite, it says why:
--
-- * Times are epoch milliseconds as BIGINT (SQLite INTEGER is 64-bit; PostgreSQL's INTEGER is not).
--   pg returns int8 as a string; the pool parses it back to a number (postgres-pool.ts).
-- * Flags are SMALLINT 0/1, as rows.ts reads `!!r.enabled` and writes `? 1 : 0`; not BOOLEAN.
-- * JSON columns are TEXT, not JSONB: a payload is kept as the exact text received, and JSONB
--   would reorder keys and drop duplicates.
-- * Ids and the columns that hold them use COLLATE "C": lists page by `id < $after` and sort by
--   id (event types by name), and SQLite compares TEXT bytewise. Under the database's default
--   collation (often en_US.UTF-8) `_` and case sort differently and paging would change meaning
--   with the server's locale. Bytewise comparison is also the cheapest.
-- * SQLite's WITHOUT ROWID has no counterpart: PostgreSQL tables are heaps, and the primary keys
--   below are separate B-tree indexes.

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE tenants (
  id TEXT COLLATE "C" PRIMARY KEY,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, id);

CREATE TABLE event_types (
  name TEXT COLLATE "C" PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  schema TEXT,
  example TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE endpoints (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL,
  enabled SMALLINT NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  event_types TEXT NOT NULL DEFAULT '[]',
  channels TEXT NOT NULL DEFAULT '[]',
  retry TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL DEFAULT 30,
  rate_limit_per_second INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  -- AES-256-GCM sealed signing secrets; the previous one signs too until previous_expires_at.
  secret_sealed TEXT NOT NULL,
  previous_secret_sealed TEXT,
  previous_expires_at BIGINT,
  failing_since BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  -- Request shaping (API.md, Endpoints; SQLite's 0002): how each endpoint's requests look.
  method TEXT NOT NULL DEFAULT 'POST',
  -- {"type":"none"} or the type's fields, each credential as {"sealed","hint"} (AES-256-GCM, like the secrets).
  auth TEXT NOT NULL DEFAULT '{"type":"none"}',
  headers TEXT NOT NULL DEFAULT '{}',
  query_params TEXT NOT NULL DEFAULT '{}',
  -- PayloadSettings as JSON; '{}' reads as every default.
  payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX endpoints_tenant ON endpoints(tenant_id, id);

CREATE TABLE events (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT NOT NULL DEFAULT '[]',
  idempotency_key TEXT,
  occurred_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  delivery_count INTEGER NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, id);
CREATE INDEX events_tenant_type ON events(tenant_id, type, id);

-- One row per (tenant, key): a key older than the window is taken over by the next publish.
-- The publish claims its key here first (INSERT ... ON CONFLICT), so two nodes publishing the same
-- key at once serialize on this row and the second finds the first's event.
CREATE TABLE idempotency_keys (
  tenant_id TEXT COLLATE "C" NOT NULL,
  key TEXT NOT NULL,
  event_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE deliveries (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  event_id TEXT COLLATE "C" NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  -- When the delivery may next be claimed. A claim moves it to the lease's expiry, so an
  -- expired lease is simply due again and one index serves both fresh work and crash recovery.
  next_attempt_at BIGINT,
  lease_owner TEXT,
  -- 'scheduled' normally; 'manual' after a retry/recover request, which is one attempt only
  -- when the delivery had already finished.
  pending_trigger TEXT NOT NULL DEFAULT 'scheduled',
  one_shot SMALLINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- The queue: only pending rows are in it, so it stays as small as the backlog (a partial index,
-- as in SQLite). Claims walk it in next_attempt_at order with FOR UPDATE SKIP LOCKED.
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, id);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, id);

-- Keyed by (delivery_id, id): a delivery's attempts are read together, and ids sort by time.
CREATE TABLE attempts (
  id TEXT COLLATE "C" NOT NULL,
  delivery_id TEXT COLLATE "C" NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  endpoint_id TEXT COLLATE "C" NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL,
  attempt_number INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  request_method TEXT NOT NULL,
  request_url TEXT NOT NULL,
  request_headers TEXT NOT NULL,
  -- NULL when the body was the event's default envelope, which the event row already holds:
  -- it is rebuilt on read, so the hot path does not write every payload twice.
  request_body TEXT,
  response_status INTEGER,
  response_headers TEXT,
  response_body TEXT,
  error_kind TEXT,
  error_message TEXT,
  success SMALLINT NOT NULL,
  PRIMARY KEY (delivery_id, id)
);
CREATE INDEX attempts_endpoint_time ON attempts(endpoint_id, started_at);

-- Inbound sources (API.md, Inbound sources; SQLite's 0003): what they verify and map, their sealed
-- secrets, the log of every request received, and the idempotency keys seen within each window.
CREATE TABLE sources (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  enabled SMALLINT NOT NULL DEFAULT 1,
  -- SourceVerification as JSON (no secret in it).
  verification TEXT NOT NULL,
  -- AES-256-GCM sealed; the previous secret is accepted too until previous_expires_at.
  secret_sealed TEXT,
  secret_hint TEXT,
  previous_secret_sealed TEXT,
  previous_expires_at BIGINT,
  event_type_path TEXT NOT NULL DEFAULT 'event_type',
  timestamp_path TEXT,
  idempotency TEXT,
  mappings TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX sources_tenant ON sources(tenant_id, id);

-- Appended to in time order; seq (SQLite's rowid) lets pruning find the old rows as a prefix
-- without an index on the time. The body is BYTEA (SQLite: a BLOB in a TEXT column), stored as
-- the bytes received.
CREATE TABLE source_requests (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL,
  source_id TEXT COLLATE "C" NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  received_at BIGINT NOT NULL,
  status TEXT NOT NULL,
  event_type TEXT,
  idempotency_key TEXT,
  error TEXT,
  actions TEXT NOT NULL DEFAULT '[]',
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  -- Header secrets redacted.
  headers TEXT NOT NULL,
  body BYTEA NOT NULL
);
-- A source's log, newest first, and the cascade when a source is deleted.
CREATE UNIQUE INDEX source_requests_source ON source_requests(source_id, id);

CREATE TABLE source_idempotency (
  source_id TEXT COLLATE "C" NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (source_id, key)
);
