-- +goose Up
-- The digest of the request an Idempotency-Key was first used with: a key
-- reused with a different request answers 422 instead of the first result.
ALTER TABLE messages ADD COLUMN idempotency_fingerprint TEXT;
ALTER TABLE intake_jobs ADD COLUMN request_fingerprint TEXT;

-- +goose Down
ALTER TABLE intake_jobs DROP COLUMN request_fingerprint;
ALTER TABLE messages DROP COLUMN idempotency_fingerprint;
