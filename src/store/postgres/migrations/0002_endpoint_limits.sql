-- Per-endpoint limits that every worker shares (store.ts, SharedLimitStore). Both tables are small
-- and hot: one row per endpoint being sent to (per worker, for slots), rewritten a few times a
-- second at most. Times are the database's clock in epoch milliseconds.

-- A worker's share of an endpoint's concurrency limit. `want` above `slots` tells the others that
-- this worker is short, so those holding more than their fair share give some back.
CREATE TABLE endpoint_slots (
  endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  owner TEXT COLLATE "C" NOT NULL,
  slots INTEGER NOT NULL,
  want INTEGER NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (endpoint_id, owner)
);
CREATE INDEX endpoint_slots_owner ON endpoint_slots(owner);

-- One token bucket per rate-limited endpoint. `granted` is what the last take got, so that the
-- take is one atomic upsert that also reports its result.
CREATE TABLE endpoint_rate_buckets (
  endpoint_id TEXT COLLATE "C" PRIMARY KEY REFERENCES endpoints(id) ON DELETE CASCADE,
  tokens DOUBLE PRECISION NOT NULL,
  granted INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
