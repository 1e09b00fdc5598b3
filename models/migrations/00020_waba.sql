-- +goose Up
-- WhatsApp side of the product: business numbers (senders), their allocation
-- to agents and teams, message templates, contacts, conversations, messages.
-- agent/team ids are plain BIGINTs: the identity tables live in another range.
CREATE TABLE senders (
    id                     BIGSERIAL PRIMARY KEY,
    phone_number_id        TEXT        NOT NULL UNIQUE,
    waba_id                TEXT        NOT NULL DEFAULT '',
    display_number         TEXT        NOT NULL DEFAULT '',
    verified_name          TEXT        NOT NULL DEFAULT '',
    business_portfolio_id  TEXT        NOT NULL DEFAULT '',
    quality                TEXT        NOT NULL DEFAULT 'GREEN' CHECK (quality IN ('GREEN','YELLOW','RED','UNKNOWN')),
    throughput_mps         INT         NOT NULL DEFAULT 80 CHECK (throughput_mps > 0),
    messaging_limit_tier   TEXT        NOT NULL DEFAULT 'TIER_250',
    status                 TEXT        NOT NULL DEFAULT 'active' CHECK (status IN ('active','flagged','restricted','disabled','unverified')),
    status_reason          TEXT        NOT NULL DEFAULT '',
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE sender_allocations (
    id         BIGSERIAL PRIMARY KEY,
    sender_id  BIGINT      NOT NULL REFERENCES senders(id) ON DELETE CASCADE,
    agent_id   BIGINT,
    team_id    BIGINT,
    role       TEXT        NOT NULL CHECK (role IN ('primary','secondary')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((agent_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX sender_allocations_agent_primary ON sender_allocations (agent_id) WHERE role = 'primary' AND agent_id IS NOT NULL;
CREATE UNIQUE INDEX sender_allocations_agent_uniq ON sender_allocations (sender_id, agent_id) WHERE agent_id IS NOT NULL;
CREATE UNIQUE INDEX sender_allocations_team_uniq ON sender_allocations (sender_id, team_id) WHERE team_id IS NOT NULL;

CREATE TABLE templates (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL,
    language    TEXT        NOT NULL,
    category    TEXT        NOT NULL CHECK (category IN ('MARKETING','UTILITY','AUTHENTICATION')),
    parameter_format TEXT   NOT NULL DEFAULT 'POSITIONAL' CHECK (parameter_format IN ('POSITIONAL','NAMED')),
    components  JSONB       NOT NULL DEFAULT '[]',
    status      TEXT        NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT','PENDING','APPROVED','REJECTED','PAUSED','DISABLED')),
    quality     TEXT        NOT NULL DEFAULT '',
    reason      TEXT        NOT NULL DEFAULT '',
    meta_id     TEXT        UNIQUE,
    waba_id     TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (name, language)
);

CREATE TABLE contacts (
    id             BIGSERIAL PRIMARY KEY,
    phone_e164     TEXT UNIQUE,
    wa_id          TEXT,
    bsuid          TEXT UNIQUE,
    name           TEXT        NOT NULL DEFAULT '',
    attributes     JSONB       NOT NULL DEFAULT '{}',
    opted_out      BOOLEAN     NOT NULL DEFAULT false,
    owner_agent_id BIGINT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (phone_e164 IS NOT NULL OR bsuid IS NOT NULL)
);

CREATE TABLE conversations (
    id                BIGSERIAL PRIMARY KEY,
    sender_id         BIGINT      NOT NULL REFERENCES senders(id),
    contact_id        BIGINT      NOT NULL REFERENCES contacts(id),
    status            TEXT        NOT NULL DEFAULT 'open' CHECK (status IN ('open','pending','resolved','snoozed')),
    assignee_agent_id BIGINT,
    team_id           BIGINT,
    last_inbound_at   TIMESTAMPTZ,
    last_message_at   TIMESTAMPTZ,
    unread_count      INT         NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (sender_id, contact_id)
);
CREATE INDEX conversations_contact_idx ON conversations (contact_id);

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations(id),
    direction       TEXT        NOT NULL CHECK (direction IN ('in','out')),
    type            TEXT        NOT NULL,
    body            TEXT        NOT NULL DEFAULT '',
    payload         JSONB       NOT NULL DEFAULT '{}',
    wamid           TEXT UNIQUE,
    status          TEXT        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','delivered','read','failed','received')),
    error_code      INT,
    error_reason    TEXT        NOT NULL DEFAULT '',
    idempotency_key TEXT UNIQUE,
    biz_opaque      TEXT        NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    read_at         TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);

-- message_statuses dedupes status webhooks by (wamid, status); a status may
-- arrive before our own row knows its wamid, so there is no foreign key.
CREATE TABLE message_statuses (
    wamid       TEXT        NOT NULL,
    status      TEXT        NOT NULL,
    ts          TIMESTAMPTZ NOT NULL,
    recipient   TEXT        NOT NULL DEFAULT '',
    error_code  INT,
    payload     JSONB       NOT NULL DEFAULT '{}',
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (wamid, status)
);

-- +goose Down
DROP TABLE message_statuses;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE contacts;
DROP TABLE templates;
DROP TABLE sender_allocations;
DROP TABLE senders;
