-- +goose NO TRANSACTION
-- +goose Up
-- Indexes of the retention workflow's predicates (issue #21): each batch
-- finds its oldest rows by index instead of scanning the table.
-- CONCURRENTLY: these are the largest tables; a plain build would block
-- their writes (webhook statuses, sends, logins) for its whole duration.
CREATE INDEX CONCURRENTLY IF NOT EXISTS message_statuses_received_at_idx ON message_statuses (received_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_idempotency_created_idx ON messages (created_at) WHERE idempotency_key IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS webhook_deliveries_finished_idx;
DROP INDEX CONCURRENTLY IF EXISTS sessions_revoked_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS sessions_expires_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS messages_idempotency_created_idx;
DROP INDEX CONCURRENTLY IF EXISTS message_statuses_received_at_idx;
