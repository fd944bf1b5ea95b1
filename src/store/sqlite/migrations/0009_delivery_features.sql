-- Delivery features (issue 15). Rows made before this migration get the defaults, which are what
-- those endpoints and deliveries were doing.

-- API.md, Endpoints: 'none' or 'fifo' (one attempt at a time, in publish order).
ALTER TABLE endpoints ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none';
-- When this endpoint was announced degraded (endpoint.degraded), until endpoint.recovered: the row
-- is what makes the announcement happen once when several workers judge the same endpoint.
ALTER TABLE endpoints ADD COLUMN degraded_since INTEGER;

-- 1 when the delivery was published to a fifo endpoint. Of an endpoint's pending ordered
-- deliveries only the head has a next_attempt_at (due, leased, or waiting for its retry); the
-- others are held with next_attempt_at NULL, which keeps them out of every claim, until the head
-- finishes and the next is promoted in the same transaction.
ALTER TABLE deliveries ADD COLUMN ordered INTEGER NOT NULL DEFAULT 0;
-- Promotion's two questions, each one index seek: is anything of the endpoint scheduled
-- (next_attempt_at IS NOT NULL), and which held one is oldest (next_attempt_at IS NULL, by id).
-- Partial: unordered deliveries, the hot path, never enter it.
CREATE INDEX deliveries_ordered ON deliveries(endpoint_id, next_attempt_at, id) WHERE status = 'pending' AND ordered = 1;
