-- +goose NO TRANSACTION
-- +goose Up
-- Queries that stay fast as data grows (#21) and stemmed message search (#16).
-- CONCURRENTLY: conversations, contacts and messages are the largest tables;
-- a plain build would block webhook inserts for its whole duration (the
-- message search index over 10M messages takes minutes).

-- The inbox list sorts by exactly these expressions (models/inbox List),
-- so its keyset page is an index walk instead of a full sort.
CREATE INDEX CONCURRENTLY IF NOT EXISTS conversations_activity_sort
    ON conversations ((COALESCE(last_message_at, created_at)) DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS conversations_waiting_sort
    ON conversations ((COALESCE(last_inbound_at, created_at)), id)
    WHERE status IN ('open', 'pending');

-- Name and partial-phone search: trigram indexes serve ILIKE '%..%'.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX CONCURRENTLY IF NOT EXISTS contacts_name_trgm ON contacts USING GIN (name gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS contacts_phone_trgm ON contacts USING GIN (phone_e164 gin_trgm_ops);

-- Message search stems Indonesian ("bayar" finds "membayar"). The new
-- index is built before the old one goes, so search never scans meanwhile.
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_body_fts_id ON messages USING GIN (to_tsvector('indonesian', body))
    WHERE direction IN ('in', 'out') AND body <> '';
DROP INDEX CONCURRENTLY IF EXISTS messages_body_fts;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_body_fts ON messages USING GIN (to_tsvector('simple', body))
    WHERE direction IN ('in', 'out') AND body <> '';
DROP INDEX CONCURRENTLY IF EXISTS messages_body_fts_id;
DROP INDEX CONCURRENTLY IF EXISTS contacts_phone_trgm;
DROP INDEX CONCURRENTLY IF EXISTS contacts_name_trgm;
DROP INDEX CONCURRENTLY IF EXISTS conversations_waiting_sort;
DROP INDEX CONCURRENTLY IF EXISTS conversations_activity_sort;
