-- Custom headers whose name reads as a credential (API.md, Endpoints: Authorization, Cookie,
-- X-Api-Key...), each value as {"sealed","hint"} (AES-256-GCM, like auth), keyed by header name.
-- The other headers stay in `headers`. A column of its own rather than objects among the strings
-- of `headers`: a node of the previous release, which reads `headers` as strings, keeps working
-- during a rolling upgrade (it sends without these). Rows made before this migration may still
-- hold such values in the clear in `headers`; they are read as they are and sealed on their next update.
ALTER TABLE endpoints ADD COLUMN sealed_headers TEXT NOT NULL DEFAULT '{}';
