-- Gateway routes (API.md, Gateway routes): /gw/{tenant}/{name}/... is proxied to upstream_url.
CREATE TABLE routes (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  upstream_url TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL DEFAULT 30,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- The proxy finds a route by tenant and name; lists page by id within a tenant.
CREATE UNIQUE INDEX routes_tenant_name ON routes(tenant_id, name);
CREATE INDEX routes_tenant ON routes(tenant_id, id);
