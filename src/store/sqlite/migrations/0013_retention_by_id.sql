-- Retention (services/retention.ts) now finds old events by id, oldest first: ids begin with their
-- creation time (src/core/ids.ts), so the primary key's index bounds the scan (see eventIdCeiling in
-- store/rows.ts). The index on created_at that 0008 added served only that scan, and every publish
-- wrote it: one B-tree less per event (measured in bench/publish-cost.ts: about 430 bytes of WAL
-- per event with 900-byte payloads, and its share of the insert's CPU). Dropping an index is a
-- catalogue change that frees its pages, whatever the table's size.
DROP INDEX IF EXISTS events_created;
