-- +goose Up
-- Journeys (#19), the parts between the database and the enrollments'
-- workflows, both durable outboxes so that nothing is lost on a crash:
--
-- 1. workflow_started: an enrollment row is written first (by the API, a
--    segment or an intake job, in bulk), and the workers' starter starts
--    its workflow and marks it. A crash between the two starts it again,
--    which Temporal refuses as a duplicate id: started once.
-- 2. journey_signals: what a running enrollment must hear (the customer's
--    reply, an exit) is a row written in the transaction that caused it,
--    by triggers, so no code path that stores an inbound message, an
--    opt-out or a closed case can forget it; the workers' relay claims the
--    rows, signals the workflows and deletes them.
-- 3. frequency_cap: the journey's sends count against the same rule as a
--    campaign's (campaigns.FrequencyCap; '{}' or max 0: no cap).
ALTER TABLE journeys ADD COLUMN frequency_cap JSONB NOT NULL DEFAULT '{}';
ALTER TABLE journey_enrollments ADD COLUMN workflow_started BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX journey_enrollments_unstarted ON journey_enrollments (id) WHERE status = 'running' AND NOT workflow_started;

CREATE TABLE journey_signals (
    id            BIGSERIAL PRIMARY KEY,
    enrollment_id BIGINT      NOT NULL REFERENCES journey_enrollments(id) ON DELETE CASCADE,
    journey_id    BIGINT      NOT NULL,
    kind          TEXT        NOT NULL CHECK (kind IN ('reply','exit')),
    -- reply: the message, its button or list payload and its text.
    message_id    BIGINT,
    payload       TEXT        NOT NULL DEFAULT '',
    body          TEXT        NOT NULL DEFAULT '',
    -- exit: journeys.Exit* (opted_out, case_closed, manual).
    reason        TEXT        NOT NULL DEFAULT '',
    claimed_until TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX journey_signals_claim ON journey_signals (id) WHERE claimed_until IS NULL;

-- +goose StatementBegin
-- A customer's message is a reply to each journey the contact runs. The
-- payload is the tapped button's (a template quick reply) or the chosen
-- reply button or list row's id: Meta's message objects, stored raw.
CREATE FUNCTION journey_signal_reply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO journey_signals (enrollment_id, journey_id, kind, message_id, payload, body)
    SELECT e.id, e.journey_id, 'reply', NEW.id,
           COALESCE(NEW.payload->'button'->>'payload', NEW.payload->'interactive'->'button_reply'->>'id',
                    NEW.payload->'interactive'->'list_reply'->>'id', ''),
           LEFT(COALESCE(NEW.body, ''), 4096)
    FROM conversations c JOIN journey_enrollments e ON e.contact_id = c.contact_id AND e.status = 'running'
    WHERE c.id = NEW.conversation_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- Only the customer's own live messages: not the business's, not a
-- coexistence number's history sync (origin 'history', migration 00152).
CREATE TRIGGER journey_signal_reply AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.direction = 'in' AND NEW.origin <> 'history') EXECUTE FUNCTION journey_signal_reply();

-- +goose StatementBegin
CREATE FUNCTION journey_signal_opt_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO journey_signals (enrollment_id, journey_id, kind, reason)
    SELECT e.id, e.journey_id, 'exit', 'opted_out' FROM journey_enrollments e
    WHERE e.contact_id = NEW.id AND e.status = 'running';
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER journey_signal_opt_out AFTER UPDATE OF opted_out ON contacts
    FOR EACH ROW WHEN (NEW.opted_out AND NOT OLD.opted_out) EXECUTE FUNCTION journey_signal_opt_out();

-- +goose StatementBegin
-- A case that leaves the pool for good (paid, settled, withdrawn) ends the
-- contact's journeys, unless the contact still has another open case.
CREATE FUNCTION journey_signal_case_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.contact_id IS NULL OR EXISTS (SELECT 1 FROM cases WHERE contact_id = NEW.contact_id AND status <> 'exited' AND id <> NEW.id) THEN
        RETURN NULL;
    END IF;
    INSERT INTO journey_signals (enrollment_id, journey_id, kind, reason)
    SELECT e.id, e.journey_id, 'exit', 'case_closed' FROM journey_enrollments e
    WHERE e.contact_id = NEW.contact_id AND e.status = 'running';
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER journey_signal_case_closed AFTER UPDATE OF status ON cases
    FOR EACH ROW WHEN (NEW.status = 'exited' AND OLD.status <> 'exited') EXECUTE FUNCTION journey_signal_case_closed();

-- +goose Down
DROP TRIGGER journey_signal_case_closed ON cases;
DROP FUNCTION journey_signal_case_closed;
DROP TRIGGER journey_signal_opt_out ON contacts;
DROP FUNCTION journey_signal_opt_out;
DROP TRIGGER journey_signal_reply ON messages;
DROP FUNCTION journey_signal_reply;
DROP TABLE journey_signals;
DROP INDEX journey_enrollments_unstarted;
ALTER TABLE journey_enrollments DROP COLUMN workflow_started;
ALTER TABLE journeys DROP COLUMN frequency_cap;
