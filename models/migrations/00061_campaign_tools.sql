-- +goose NO TRANSACTION
-- +goose Up
-- Campaign tools: keyset paging of a campaign's recipients, reply
-- attribution (first customer message after a send) and per-template stats.
-- CONCURRENTLY: messages is the largest table; a plain build would block
-- webhook inserts for its whole duration.
CREATE INDEX CONCURRENTLY IF NOT EXISTS campaign_recipients_campaign_idx ON campaign_recipients (campaign_id, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_inbound_time_idx ON messages (conversation_id, created_at) WHERE direction = 'in';
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_template_name_idx ON messages ((payload->'template'->>'name'), created_at)
    WHERE direction = 'out' AND type = 'template';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS messages_template_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS messages_inbound_time_idx;
DROP INDEX CONCURRENTLY IF EXISTS campaign_recipients_campaign_idx;
