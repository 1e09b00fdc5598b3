-- +goose Up
-- Auto-replies and self-service (#19, models/autoreply):
--
-- 1. auto_reply_rules: a number's welcome, away and keyword rules (per
--    number, optionally only for one team's conversations on it).
-- 2. auto_reply_jobs: an outbox row per customer message to a number that
--    has enabled rules, written by a trigger in the message's own
--    transaction (like journey_signals, 00280), so no inbound path can
--    forget it; the workers' relay claims rows, decides (autoreply.Decide),
--    writes the reply and hands it to the ConversationWorkflow. message_id
--    is unique: one job, one decision per inbound message.
-- 3. The reply is a normal messages row with origin 'auto' and the
--    idempotency key 'auto:<inbound message id>' (scope 'autoreply'): a
--    second relay of the same job finds it instead of writing another.
-- 4. auto_reply_sent (cool-downs: when a rule last answered a conversation)
--    and auto_reply_stops (a hand-over stopped automation for the
--    conversation until it is resolved).
CREATE TABLE auto_reply_rules (
    id               BIGSERIAL PRIMARY KEY,
    sender_id        BIGINT      NOT NULL REFERENCES senders(id) ON DELETE CASCADE,
    team_id          BIGINT      REFERENCES teams(id) ON DELETE CASCADE,
    kind             TEXT        NOT NULL CHECK (kind IN ('welcome','away','keyword')),
    name             TEXT        NOT NULL DEFAULT '',
    enabled          BOOLEAN     NOT NULL DEFAULT true,
    keywords         TEXT[]      NOT NULL DEFAULT '{}',
    reply            TEXT        NOT NULL,
    hours            JSONB       NOT NULL DEFAULT '{}',
    zone             TEXT        NOT NULL DEFAULT 'Asia/Jakarta',
    cooldown_minutes INT         NOT NULL DEFAULT 0 CHECK (cooldown_minutes >= 0),
    route_team_id    BIGINT      REFERENCES teams(id) ON DELETE SET NULL,
    handover         BOOLEAN     NOT NULL DEFAULT false,
    -- menu: a keyword rule's reply buttons or list (autoreply.Menu), NULL: text.
    menu             JSONB,
    marketing        BOOLEAN     NOT NULL DEFAULT false,
    priority         INT         NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX auto_reply_rules_sender ON auto_reply_rules (sender_id) WHERE enabled;

CREATE TABLE auto_reply_jobs (
    id              BIGSERIAL PRIMARY KEY,
    message_id      BIGINT      NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    conversation_id BIGINT      NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    -- reply_id: the decision was made and this reply written; only its
    -- hand-off to the workflow is left (a crash after commit retries that).
    reply_id        BIGINT,
    decided         BOOLEAN     NOT NULL DEFAULT false,
    claimed_until   TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX auto_reply_jobs_claim ON auto_reply_jobs (id);

CREATE TABLE auto_reply_sent (
    conversation_id BIGINT      NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    rule_id         BIGINT      NOT NULL REFERENCES auto_reply_rules(id) ON DELETE CASCADE,
    sent_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, rule_id)
);

CREATE TABLE auto_reply_stops (
    conversation_id BIGINT      PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      BIGINT      NOT NULL,
    stopped_at      TIMESTAMPTZ NOT NULL
);

-- NOT VALID: every existing row passed the old check, a subset of this
-- one, so scanning the messages table (millions of rows) under the ALTER's
-- exclusive lock would prove nothing; new rows are checked all the same.
ALTER TABLE messages DROP CONSTRAINT messages_origin_check;
ALTER TABLE messages ADD CONSTRAINT messages_origin_check CHECK (origin IN ('', 'business_app', 'history', 'auto')) NOT VALID;

-- +goose StatementBegin
-- Only numbers with an enabled rule pay for a job: every other inbound
-- message costs one indexed lookup.
CREATE FUNCTION auto_reply_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM conversations c JOIN auto_reply_rules r ON r.sender_id = c.sender_id AND r.enabled
               WHERE c.id = NEW.conversation_id) THEN
        INSERT INTO auto_reply_jobs (message_id, conversation_id) VALUES (NEW.id, NEW.conversation_id)
        ON CONFLICT (message_id) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- The customer's own live messages only: not the business's (echoes are
-- 'out'), not a coexistence number's history sync (origin 'history').
CREATE TRIGGER auto_reply_job AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.direction = 'in' AND NEW.origin = '') EXECUTE FUNCTION auto_reply_job();

-- +goose Down
DROP TRIGGER auto_reply_job ON messages;
DROP FUNCTION auto_reply_job;
-- The automated messages stay in their threads (journey sends are 'auto'
-- too), unmarked as they were before this migration.
UPDATE messages SET origin = '' WHERE origin = 'auto';
ALTER TABLE messages DROP CONSTRAINT messages_origin_check;
ALTER TABLE messages ADD CONSTRAINT messages_origin_check CHECK (origin IN ('', 'business_app', 'history')) NOT VALID;
DROP TABLE auto_reply_stops;
DROP TABLE auto_reply_sent;
DROP TABLE auto_reply_jobs;
DROP TABLE auto_reply_rules;
