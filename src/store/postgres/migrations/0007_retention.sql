-- Retention (services/retention.ts) finds old events by their creation time, oldest first.
CREATE INDEX IF NOT EXISTS events_created ON events(created_at);
