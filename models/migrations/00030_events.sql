-- +goose Up
-- events: the durable realtime stream. id is the cursor clients resync from.
CREATE TABLE events (
    id        BIGSERIAL PRIMARY KEY,
    type      TEXT        NOT NULL,
    ts        TIMESTAMPTZ NOT NULL DEFAULT now(),
    data      JSONB       NOT NULL DEFAULT '{}',
    audience  JSONB       NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ts_idx ON events (ts);

-- +goose Down
DROP TABLE events;
