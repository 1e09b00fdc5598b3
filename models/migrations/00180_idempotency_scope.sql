-- +goose NO TRANSACTION
-- +goose Up
-- An Idempotency-Key belongs to its caller (issue #20): two API keys, or an
-- API key and an agent, that happen to send the same key are two requests.
-- The scope is models.IdempotencyScope ('key:<id>', 'agent:<id>'); rows
-- stored before it have '' and keep answering the same unscoped key.
-- No transaction: the new unique index is built CONCURRENTLY (messages is
-- the largest table; a plain build blocks every send and webhook insert)
-- before the global constraint goes, so a key is unique at every moment.
ALTER TABLE messages ADD COLUMN IF NOT EXISTS idempotency_scope TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS messages_idempotency_scope_key ON messages (idempotency_scope, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_idempotency_key_key;

-- +goose Down
ALTER TABLE messages ADD CONSTRAINT messages_idempotency_key_key UNIQUE (idempotency_key);
DROP INDEX CONCURRENTLY IF EXISTS messages_idempotency_scope_key;
ALTER TABLE messages DROP COLUMN IF EXISTS idempotency_scope;
