-- Idempotency keys are only consulted within their 24-hour window; the retention timer deletes
-- older ones in time order, so it needs them by time. Before this nothing deleted them at all.
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
