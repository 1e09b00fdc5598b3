-- +goose Up
-- SLA policies (issue #18): first- and next-response targets per team,
-- counted in the team's business hours. The conversation row carries the
-- customer's current wait (kept by the triggers below, in the transaction
-- of the message that starts or ends it); the ConversationWorkflow arms a
-- durable timer to its near-breach and breach moments, so no process polls
-- every conversation.

CREATE TABLE sla_policies (
    team_id             BIGINT      PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
    enabled             BOOLEAN     NOT NULL DEFAULT true,
    -- 0: no target of that kind.
    first_response_secs INT         NOT NULL DEFAULT 0 CHECK (first_response_secs BETWEEN 0 AND 2592000),
    next_response_secs  INT         NOT NULL DEFAULT 0 CHECK (next_response_secs BETWEEN 0 AND 2592000),
    near_breach_pct     INT         NOT NULL DEFAULT 80 CHECK (near_breach_pct BETWEEN 1 AND 99),
    -- false: the targets run on the wall clock (a 24/7 team).
    business_hours      BOOLEAN     NOT NULL DEFAULT true,
    zone                TEXT        NOT NULL DEFAULT 'Asia/Jakarta',
    work_days           INT[]       NOT NULL DEFAULT '{1,2,3,4,5}',
    day_start           INT         NOT NULL DEFAULT 480 CHECK (day_start BETWEEN 0 AND 1440),
    day_end             INT         NOT NULL DEFAULT 1020 CHECK (day_end BETWEEN 0 AND 1440),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (day_start < day_end)
);

-- The customer's current wait: since when (the first unanswered customer
-- message), which kind ('first' of the episode, or 'next' after an agent
-- answered), and the moments the workflow armed for it. sla_answered says
-- an agent answered in this episode (a resolve or reopen starts a new one).
ALTER TABLE conversations
    ADD COLUMN sla_wait_since  TIMESTAMPTZ,
    ADD COLUMN sla_kind        TEXT CHECK (sla_kind IN ('first', 'next')),
    ADD COLUMN sla_answered    BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN sla_near_at     TIMESTAMPTZ,
    ADD COLUMN sla_due_at      TIMESTAMPTZ,
    ADD COLUMN sla_near_sent   BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN sla_breached_at TIMESTAMPTZ;

-- Every near-breach and breach, once per wait and level.
CREATE TABLE sla_events (
    id              BIGSERIAL   PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    team_id         BIGINT,
    agent_id        BIGINT,
    kind            TEXT        NOT NULL CHECK (kind IN ('first', 'next')),
    level           TEXT        NOT NULL CHECK (level IN ('near', 'breach')),
    wait_since      TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, wait_since, level)
);
CREATE INDEX sla_events_team_at_idx ON sla_events (team_id, at);

-- +goose StatementBegin
-- A customer message starts a wait unless one runs already. When the team
-- has an SLA policy, the workflow must hear of a wait that starts inside
-- an open window (an ordinary inbound message signals nothing): the row in
-- the window_signals outbox makes the relay signal it, in batches, as for
-- a window that opens. History syncs and notes start nothing.
CREATE FUNCTION sla_messages_ins_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c RECORD;
BEGIN
    IF NEW.direction <> 'in' OR NEW.origin = 'history' THEN RETURN NULL; END IF;
    UPDATE conversations SET sla_wait_since = NEW.created_at,
            sla_kind = CASE WHEN sla_answered THEN 'next' ELSE 'first' END,
            sla_near_at = NULL, sla_due_at = NULL, sla_near_sent = false, sla_breached_at = NULL
        -- Still resolved after the message: a survey answer (models/ingest,
        -- csat.go), which asks the team nothing. Every other customer
        -- message reopens its conversation in the statement that stores it.
        WHERE id = NEW.conversation_id AND sla_wait_since IS NULL AND status <> 'resolved'
        RETURNING id, team_id, sender_id, contact_id, sla_kind INTO c;
    IF c.id IS NOT NULL AND EXISTS (SELECT 1 FROM sla_policies p WHERE p.team_id = c.team_id AND p.enabled
            AND (CASE WHEN c.sla_kind = 'next' THEN p.next_response_secs ELSE p.first_response_secs END) > 0) THEN
        INSERT INTO window_signals (conversation_id, sender_id, contact_id, message_id)
            VALUES (c.id, c.sender_id, c.contact_id, NEW.id)
            ON CONFLICT (conversation_id) DO UPDATE SET message_id = EXCLUDED.message_id, claimed_until = NULL;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER sla_messages_ins AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION sla_messages_ins_trg();

-- +goose StatementBegin
-- An agent's message (its author is set in the transaction that queues
-- it) answers the wait. Campaign, survey and other automatic messages have
-- no author and answer nothing.
CREATE FUNCTION sla_messages_author_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.direction <> 'out' OR OLD.author_agent_id IS NOT NULL OR NEW.author_agent_id IS NULL THEN RETURN NULL; END IF;
    UPDATE conversations SET sla_answered = true, sla_wait_since = NULL, sla_kind = NULL,
            sla_near_at = NULL, sla_due_at = NULL, sla_near_sent = false, sla_breached_at = NULL
        WHERE id = NEW.conversation_id AND (NOT sla_answered OR sla_wait_since IS NOT NULL);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER sla_messages_author AFTER UPDATE OF author_agent_id ON messages
    FOR EACH ROW EXECUTE FUNCTION sla_messages_author_trg();

-- +goose StatementBegin
-- Resolving ends the episode and its wait; reopening starts a new episode
-- (its first customer message waits for a first response again). A move
-- to another team keeps the wait and drops what the old team's policy armed.
CREATE FUNCTION sla_conversations_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.status <> 'resolved') <> (NEW.status <> 'resolved') THEN
        NEW.sla_answered := false;
        NEW.sla_wait_since := NULL;
        NEW.sla_kind := NULL;
        NEW.sla_near_at := NULL;
        NEW.sla_due_at := NULL;
        NEW.sla_near_sent := false;
        NEW.sla_breached_at := NULL;
    ELSIF NEW.team_id IS DISTINCT FROM OLD.team_id THEN
        -- Moved to another team: the same wait, under that team's policy,
        -- armed again by the workflow (the change signals it); its alerts
        -- go to the new team.
        NEW.sla_near_at := NULL;
        NEW.sla_due_at := NULL;
        NEW.sla_near_sent := false;
        NEW.sla_breached_at := NULL;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER sla_conversations BEFORE UPDATE OF status, team_id ON conversations
    FOR EACH ROW EXECUTE FUNCTION sla_conversations_trg();

-- Customers waiting when this runs keep their first-response wait (the
-- reports trigger's columns); the rest start with their next message.
UPDATE conversations SET sla_wait_since = rpt_wait_since, sla_kind = 'first'
    WHERE rpt_wait_since IS NOT NULL AND NOT rpt_responded AND status IN ('open', 'pending');
UPDATE conversations SET sla_answered = true WHERE rpt_responded AND status IN ('open', 'pending');

-- Conversations waiting now, for the floor: open and pending ones with a wait.
CREATE INDEX conversations_sla_waiting_idx ON conversations (team_id, sla_wait_since)
    WHERE sla_wait_since IS NOT NULL AND status IN ('open', 'pending');

-- +goose Down
DROP INDEX conversations_sla_waiting_idx;
DROP TRIGGER sla_conversations ON conversations;
DROP FUNCTION sla_conversations_trg();
DROP TRIGGER sla_messages_author ON messages;
DROP FUNCTION sla_messages_author_trg();
DROP TRIGGER sla_messages_ins ON messages;
DROP FUNCTION sla_messages_ins_trg();
DROP TABLE sla_events;
ALTER TABLE conversations DROP COLUMN sla_wait_since, DROP COLUMN sla_kind, DROP COLUMN sla_answered,
    DROP COLUMN sla_near_at, DROP COLUMN sla_due_at, DROP COLUMN sla_near_sent, DROP COLUMN sla_breached_at;
DROP TABLE sla_policies;
