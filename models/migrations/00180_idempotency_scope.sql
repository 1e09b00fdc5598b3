-- +goose Up
-- An Idempotency-Key belongs to its caller (issue #20): two API keys, or an
-- API key and an agent, that happen to send the same key are two requests.
-- The scope is models.IdempotencyScope ('key:<id>', 'agent:<id>'); rows
-- stored before it have '' and keep answering the same unscoped key.
ALTER TABLE messages ADD COLUMN idempotency_scope TEXT NOT NULL DEFAULT '';
ALTER TABLE messages DROP CONSTRAINT messages_idempotency_key_key;
CREATE UNIQUE INDEX messages_idempotency_scope_key ON messages (idempotency_scope, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX messages_idempotency_scope_key;
ALTER TABLE messages ADD CONSTRAINT messages_idempotency_key_key UNIQUE (idempotency_key);
ALTER TABLE messages DROP COLUMN idempotency_scope;
