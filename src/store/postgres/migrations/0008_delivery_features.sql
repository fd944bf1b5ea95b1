-- SQLite's 0009_delivery_features, which says why (see 0001_init.sql for how the dialects differ).
ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none';
ALTER TABLE endpoints ADD COLUMN degraded_since BIGINT;
ALTER TABLE deliveries ADD COLUMN ordered SMALLINT NOT NULL DEFAULT 0;
-- btree sorts NULLs last here (first on SQLite); either way `IS NULL` and `IS NOT NULL` are seeks.
CREATE INDEX deliveries_ordered ON deliveries(endpoint_id, next_attempt_at, id) WHERE status = 'pending' AND ordered = 1;
