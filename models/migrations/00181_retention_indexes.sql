-- +goose Up
-- Indexes of the retention workflow's predicates (issue #21): each batch
-- finds its oldest rows by index instead of scanning the table.
CREATE INDEX message_statuses_received_at_idx ON message_statuses (received_at);
CREATE INDEX messages_idempotency_created_idx ON messages (created_at) WHERE idempotency_key IS NOT NULL;
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE status <> 'pending';

-- +goose Down
DROP INDEX webhook_deliveries_finished_idx;
DROP INDEX sessions_revoked_at_idx;
DROP INDEX sessions_expires_at_idx;
DROP INDEX messages_idempotency_created_idx;
DROP INDEX message_statuses_received_at_idx;
