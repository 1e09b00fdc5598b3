-- +goose Up
-- Full-text search of message text (#16): the 'simple' configuration (no
-- stemming: Indonesian and English words, names, numbers as written; the
-- query matches word prefixes). Lines of the thread (direction 'note') are
-- not searched.
CREATE INDEX IF NOT EXISTS messages_body_fts ON messages USING GIN (to_tsvector('simple', body))
    WHERE direction IN ('in', 'out') AND body <> '';

-- +goose Down
DROP INDEX IF EXISTS messages_body_fts;
