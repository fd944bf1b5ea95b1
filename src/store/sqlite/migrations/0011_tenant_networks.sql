-- A tenant's own allowed networks (API.md, "Tenants and keys"): the private networks its
-- endpoints, their rendered URLs and its routes may reach. NULL = the server-wide
-- HOOKRELAY_ALLOWED_NETWORKS; otherwise a JSON array of CIDR strings ('[]' = none).
ALTER TABLE tenants ADD COLUMN allowed_networks TEXT;
