-- +goose Up
-- probes: one row per ProbeWorkflow run. It proves the whole chain
-- (Temporal -> worker -> activity -> PostgreSQL) end to end; scrm dev runs it at start.
CREATE TABLE probes (
    id           BIGSERIAL PRIMARY KEY,
    probe_key    TEXT        NOT NULL UNIQUE,
    worker       TEXT        NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE probes;
