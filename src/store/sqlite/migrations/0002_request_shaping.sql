-- Request shaping (API.md, Endpoints): how each endpoint's requests look. Rows made before this
-- migration get the defaults, which are what those endpoints were sending.
ALTER TABLE endpoints ADD COLUMN method TEXT NOT NULL DEFAULT 'POST';
-- {"type":"none"} or the type's fields, each credential as {"sealed","hint"} (AES-256-GCM, like the secrets).
ALTER TABLE endpoints ADD COLUMN auth TEXT NOT NULL DEFAULT '{"type":"none"}';
ALTER TABLE endpoints ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE endpoints ADD COLUMN query_params TEXT NOT NULL DEFAULT '{}';
-- PayloadSettings as JSON; '{}' reads as every default.
ALTER TABLE endpoints ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';
