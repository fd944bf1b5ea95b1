-- Gateway routes, as SQLite's 0004_routes (see 0001_init.sql for how the dialects differ).
CREATE TABLE routes (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  upstream_url TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL DEFAULT 30,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX routes_tenant_name ON routes(tenant_id, name);
CREATE INDEX routes_tenant ON routes(tenant_id, id);
