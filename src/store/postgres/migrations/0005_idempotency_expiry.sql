-- SQLite's 0006_idempotency_expiry, which says why: expired idempotency keys are deleted by time.
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
