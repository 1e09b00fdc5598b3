-- +goose Up
-- webhook_dead_letters: an item of a webhook delivery that PostgreSQL
-- refused even after it was sanitised (e.g. a message id too long for its
-- index). It is kept here with the reason instead of failing the whole
-- delivery: the rest of the delivery commits and Meta gets its 200, so it
-- does not redeliver the same poison for ever. raw is the item as decoded
-- and sanitised, in JSON (bytea: what it holds is evidence, not data to
-- query); dedupe_key makes a redelivered poison one row.
CREATE TABLE webhook_dead_letters (
    id          BIGSERIAL   PRIMARY KEY,
    kind        TEXT        NOT NULL,
    item_key    TEXT        NOT NULL DEFAULT '',
    reason      TEXT        NOT NULL,
    raw         BYTEA,
    dedupe_key  TEXT        NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_dead_letters_created_idx ON webhook_dead_letters (created_at);

-- +goose Down
DROP TABLE webhook_dead_letters;
