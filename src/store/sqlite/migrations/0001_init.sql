-- Hookrelay schema, SQLite dialect. Times are epoch milliseconds (INTEGER), booleans 0/1,
-- JSON as TEXT. The deliveries table is the queue: see the comment on its index.

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, id);

CREATE TABLE event_types (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  schema TEXT,
  example TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE endpoints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
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
  previous_expires_at INTEGER,
  failing_since INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX endpoints_tenant ON endpoints(tenant_id, id);

CREATE TABLE events (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  channels TEXT NOT NULL DEFAULT '[]',
  idempotency_key TEXT,
  occurred_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL
);
CREATE INDEX events_tenant ON events(tenant_id, id);
CREATE INDEX events_tenant_type ON events(tenant_id, type, id);

-- One row per (tenant, key): a key older than 24 hours is taken over by the next publish.
CREATE TABLE idempotency_keys (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

-- WITHOUT ROWID: every hot statement finds a delivery by id, so the row lives in the id's B-tree
-- (one search instead of index-then-table); the rows are small.
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  endpoint_id TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  -- When the delivery may next be claimed. A claim moves it to the lease's expiry, so an
  -- expired lease is simply due again and one index serves both fresh work and crash recovery.
  next_attempt_at INTEGER,
  lease_owner TEXT,
  -- 'scheduled' normally; 'manual' after a retry/recover request, which is one attempt only
  -- when the delivery had already finished.
  pending_trigger TEXT NOT NULL DEFAULT 'scheduled',
  one_shot INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_tenant ON deliveries(tenant_id, id);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id, id);

-- Keyed by (delivery_id, id): a delivery's attempts are read together, and ids sort by time, so
-- one clustered B-tree replaces a table plus two indexes on the settle path.
CREATE TABLE attempts (
  id TEXT NOT NULL,
  delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  endpoint_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  attempt_number INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
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
  success INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, id)
) WITHOUT ROWID;
CREATE INDEX attempts_endpoint_time ON attempts(endpoint_id, started_at);
