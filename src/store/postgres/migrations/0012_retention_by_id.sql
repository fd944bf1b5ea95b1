-- SQLite's 0013_retention_by_id, which says why: retention scans events by id (the primary key),
-- so the index on created_at from 0007 goes, and every publish writes one index less.
DROP INDEX IF EXISTS events_created;
