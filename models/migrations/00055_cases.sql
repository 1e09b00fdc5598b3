-- +goose Up
-- cases: one debt (or service) case that a CaseWorkflow owns from pool
-- entry to exit. DPD and bucket are derived from due_date at read time.
CREATE TABLE cases (
    id            BIGSERIAL PRIMARY KEY,
    reference     TEXT        NOT NULL UNIQUE CHECK (reference <> ''),
    contact_id    BIGINT      REFERENCES contacts(id),
    -- whole rupiah
    amount        BIGINT      NOT NULL DEFAULT 0 CHECK (amount >= 0),
    outstanding   BIGINT      NOT NULL DEFAULT 0 CHECK (outstanding >= 0),
    due_date      DATE,
    product       TEXT        NOT NULL DEFAULT '',
    custom_fields JSONB       NOT NULL DEFAULT '{}',
    team_id       BIGINT      NOT NULL REFERENCES teams(id),
    agent_id      BIGINT      REFERENCES agents(id),
    status        TEXT        NOT NULL DEFAULT 'pooled' CHECK (status IN ('pooled','assigned','in_progress','exited')),
    exit_reason   TEXT        CHECK (exit_reason IN ('resolved','paid','expired','recalled','transferred','invalid')),
    follow_up_at  TIMESTAMPTZ,
    overdue       BOOLEAN     NOT NULL DEFAULT false,
    outcome       TEXT        NOT NULL DEFAULT '',
    outcome_note  TEXT        NOT NULL DEFAULT '',
    promise_date  DATE,
    assigned_at   TIMESTAMPTZ,
    exited_at     TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status IN ('assigned','in_progress')) = (agent_id IS NOT NULL) OR status = 'exited'),
    CHECK ((status = 'exited') = (exit_reason IS NOT NULL))
);
CREATE INDEX cases_team_status_idx ON cases (team_id, status);
CREATE INDEX cases_agent_status_idx ON cases (agent_id, status) WHERE agent_id IS NOT NULL;
CREATE INDEX cases_due_idx ON cases (due_date);
CREATE INDEX cases_contact_idx ON cases (contact_id);

-- case_history: every transition, written in the transaction that makes it.
CREATE TABLE case_history (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT      NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    from_status TEXT        NOT NULL DEFAULT '',
    to_status   TEXT        NOT NULL,
    from_agent  BIGINT,
    to_agent    BIGINT,
    from_team   BIGINT,
    to_team     BIGINT,
    reason      TEXT        NOT NULL DEFAULT '',
    note        TEXT        NOT NULL DEFAULT '',
    by_agent_id BIGINT,
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX case_history_case_idx ON case_history (case_id, id);

-- case_loads: open (assigned or in_progress) cases per agent, kept by a
-- trigger so assignment reads one row per candidate instead of counting.
CREATE TABLE case_loads (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    n        INT    NOT NULL DEFAULT 0
);

-- +goose StatementBegin
CREATE FUNCTION cases_load_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE','DELETE') AND OLD.agent_id IS NOT NULL AND OLD.status IN ('assigned','in_progress') THEN
        UPDATE case_loads SET n = n - 1 WHERE agent_id = OLD.agent_id;
    END IF;
    IF TG_OP IN ('INSERT','UPDATE') AND NEW.agent_id IS NOT NULL AND NEW.status IN ('assigned','in_progress') THEN
        INSERT INTO case_loads (agent_id, n) VALUES (NEW.agent_id, 1)
        ON CONFLICT (agent_id) DO UPDATE SET n = case_loads.n + 1;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER cases_load AFTER INSERT OR DELETE OR UPDATE OF agent_id, status ON cases
    FOR EACH ROW EXECUTE FUNCTION cases_load_trg();

-- +goose Down
DROP TABLE case_history;
DROP TABLE cases;
DROP FUNCTION cases_load_trg();
DROP TABLE case_loads;
