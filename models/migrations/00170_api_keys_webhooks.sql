-- +goose Up
-- API keys for the business's systems (models/identity/keys.go): a role
-- (permissions + data scope) and teams like an agent; only the SHA-256 of
-- the secret is kept.
CREATE TABLE api_keys (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT        NOT NULL,
    role_id      BIGINT      NOT NULL REFERENCES roles (id),
    team_ids     JSONB       NOT NULL DEFAULT '[]',
    secret_hash  TEXT        NOT NULL DEFAULT '',
    hint         TEXT        NOT NULL DEFAULT '',
    created_by   BIGINT      REFERENCES agents (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);

-- Outbound event webhooks (models/integrations): subscriptions, the relay's
-- cursor over the events table, and one delivery row per (subscription,
-- event, object) in event order.
CREATE TABLE webhook_subscriptions (
    id            BIGSERIAL PRIMARY KEY,
    url           TEXT        NOT NULL,
    description   TEXT        NOT NULL DEFAULT '',
    event_types   JSONB       NOT NULL DEFAULT '[]',
    secret        TEXT        NOT NULL,
    active        BOOLEAN     NOT NULL DEFAULT true,
    from_event_id BIGINT      NOT NULL DEFAULT 0,
    created_by    BIGINT      REFERENCES agents (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhook_relay_cursor (
    id       INT PRIMARY KEY CHECK (id = 1),
    event_id BIGINT NOT NULL
);
INSERT INTO webhook_relay_cursor (id, event_id) SELECT 1, COALESCE(MAX(id), 0) FROM events;

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    subscription_id BIGINT      NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    source_event_id BIGINT      NOT NULL,
    event_id        TEXT        NOT NULL,
    event_type      TEXT        NOT NULL,
    object_key      TEXT        NOT NULL,
    payload         JSONB       NOT NULL,
    status          TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INT         NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    leased_until    TIMESTAMPTZ,
    last_status     INT,
    last_error      TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_object_idx ON webhook_deliveries (subscription_id, object_key, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (subscription_id, id DESC);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_relay_cursor;
DROP TABLE webhook_subscriptions;
DROP TABLE api_keys;
