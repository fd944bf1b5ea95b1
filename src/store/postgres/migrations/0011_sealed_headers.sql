-- SQLite's 0012_sealed_headers, which says why (see 0001_init.sql for how the dialects differ).
ALTER TABLE endpoints ADD COLUMN sealed_headers TEXT NOT NULL DEFAULT '{}';
