-- Every secret rotated out in the last 24 hours keeps counting, each until its own expiry, not only
-- the last one (API.md, secret rotation): endpoints and sources keep a JSON list of
-- {"sealed", "expiresAt"}, newest first, at most MAX_PREVIOUS_SECRETS long (services/secret-keys.ts).
-- An unexpired previous secret carries over into it.
--
-- previous_secret_sealed and previous_expires_at stay (migrations only add, docs/operations.md):
-- they mirror the list's newest entry for a node of the previous release during a rolling upgrade,
-- and what such a node writes there is read back (store/rows.ts). Expired values are cleared, so
-- nothing is read back that no longer counts.
ALTER TABLE endpoints ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sources ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';

UPDATE endpoints SET previous_secret_sealed = NULL, previous_expires_at = NULL
  WHERE previous_secret_sealed IS NOT NULL AND (previous_expires_at IS NULL OR previous_expires_at <= unixepoch() * 1000);
UPDATE endpoints SET previous_secrets = json_array(json_object('sealed', previous_secret_sealed, 'expiresAt', previous_expires_at))
  WHERE previous_secret_sealed IS NOT NULL;

UPDATE sources SET previous_secret_sealed = NULL, previous_expires_at = NULL
  WHERE previous_secret_sealed IS NOT NULL AND (previous_expires_at IS NULL OR previous_expires_at <= unixepoch() * 1000);
UPDATE sources SET previous_secrets = json_array(json_object('sealed', previous_secret_sealed, 'expiresAt', previous_expires_at))
  WHERE previous_secret_sealed IS NOT NULL;
