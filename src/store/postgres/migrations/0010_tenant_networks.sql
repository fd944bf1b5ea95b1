-- A tenant's own allowed networks, as SQLite's 0011_tenant_networks: NULL = the server-wide
-- HOOKRELAY_ALLOWED_NETWORKS, otherwise a JSON array of CIDR strings ('[]' = none).
ALTER TABLE tenants ADD COLUMN allowed_networks TEXT;
