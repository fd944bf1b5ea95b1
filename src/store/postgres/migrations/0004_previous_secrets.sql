-- SQLite's 0005_previous_secrets, which says why: endpoints and sources keep every secret rotated
-- out in the last 24 hours as a JSON list of {"sealed", "expiresAt"}, newest first; an unexpired
-- previous secret carries over, and the single-secret columns stay for the previous release.
-- TEXT, not JSONB, as every JSON column here (0001_init.sql).
ALTER TABLE endpoints ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sources ADD COLUMN previous_secrets TEXT NOT NULL DEFAULT '[]';

UPDATE endpoints SET previous_secret_sealed = NULL, previous_expires_at = NULL
  WHERE previous_secret_sealed IS NOT NULL AND (previous_expires_at IS NULL OR previous_expires_at <= (extract(epoch FROM now()) * 1000)::bigint);
UPDATE endpoints SET previous_secrets = json_build_array(json_build_object('sealed', previous_secret_sealed, 'expiresAt', previous_expires_at))::text
  WHERE previous_secret_sealed IS NOT NULL;

UPDATE sources SET previous_secret_sealed = NULL, previous_expires_at = NULL
  WHERE previous_secret_sealed IS NOT NULL AND (previous_expires_at IS NULL OR previous_expires_at <= (extract(epoch FROM now()) * 1000)::bigint);
UPDATE sources SET previous_secrets = json_build_array(json_build_object('sealed', previous_secret_sealed, 'expiresAt', previous_expires_at))::text
  WHERE previous_secret_sealed IS NOT NULL;
