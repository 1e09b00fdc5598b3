-- +goose Up
-- CSAT (issue #18): an optional survey after a conversation is resolved (an
-- interactive list 1-5, sent only inside the customer-service window), the
-- customer's answer stored per survey with the agent and team that served
-- the conversation, and a rollup kept like the other reports (trigger ->
-- report_delta kind 7 -> fold -> report_csat_daily).

-- csat_settings: one row for the business; csat_team_settings overrides
-- "enabled" per team (no row: the business setting).
CREATE TABLE csat_settings (
    id              INT         PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    enabled         BOOLEAN     NOT NULL DEFAULT false,
    question        TEXT        NOT NULL DEFAULT 'Bagaimana penilaian Anda atas layanan kami?'
                                CHECK (length(question) BETWEEN 1 AND 1024),
    -- how long after it is sent an answer still counts (at most the 24 h window)
    timeout_minutes INT         NOT NULL DEFAULT 1440 CHECK (timeout_minutes BETWEEN 5 AND 1440),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO csat_settings (id) VALUES (1);

CREATE TABLE csat_team_settings (
    team_id BIGINT  PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL
);

-- One survey per resolved episode (episode_at: the episode's start,
-- conversations.rpt_opened_at), so a double resolve or a retried
-- auto-resolve never sends a second one. team/agent/sender are those that
-- served the conversation when it was resolved (0: none).
CREATE TABLE csat_surveys (
    id              BIGSERIAL   PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    episode_at      TIMESTAMPTZ NOT NULL,
    message_id      BIGINT      REFERENCES messages(id) ON DELETE SET NULL,
    team_id         BIGINT      NOT NULL DEFAULT 0,
    agent_id        BIGINT      NOT NULL DEFAULT 0,
    sender_id       BIGINT      NOT NULL,
    sent_at         TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    rating          SMALLINT    CHECK (rating BETWEEN 1 AND 5),
    answered_at     TIMESTAMPTZ,
    answer_wamid    TEXT,
    UNIQUE (conversation_id, episode_at),
    CHECK ((rating IS NULL) = (answered_at IS NULL))
);
CREATE INDEX csat_surveys_conversation_idx ON csat_surveys (conversation_id, id DESC);

CREATE TABLE report_csat_daily (
    day       DATE   NOT NULL,
    team_id   BIGINT NOT NULL,
    agent_id  BIGINT NOT NULL,
    sender_id BIGINT NOT NULL,
    n         BIGINT NOT NULL DEFAULT 0,
    score_sum BIGINT NOT NULL DEFAULT 0,
    r1        BIGINT NOT NULL DEFAULT 0,
    r2        BIGINT NOT NULL DEFAULT 0,
    r3        BIGINT NOT NULL DEFAULT 0,
    r4        BIGINT NOT NULL DEFAULT 0,
    r5        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, team_id, agent_id, sender_id)
);
CREATE INDEX report_csat_daily_agent_idx ON report_csat_daily (agent_id, day);

-- +goose StatementBegin
-- A rating recorded (once: rating goes from NULL to 1-5) appends a kind 7
-- delta at the answer's time: d = [1, rating, r1..r5 one-hot]. Appending
-- locks no shared row, like every report trigger (docs/reports.md).
CREATE FUNCTION report_csat_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.rating IS NOT NULL AND OLD.rating IS NULL THEN
        INSERT INTO report_delta (kind, at, team, agent, sender, d)
        VALUES (7, NEW.answered_at, NEW.team_id, NEW.agent_id, NEW.sender_id,
            ARRAY[1, NEW.rating, (NEW.rating = 1)::int, (NEW.rating = 2)::int, (NEW.rating = 3)::int,
                (NEW.rating = 4)::int, (NEW.rating = 5)::int]);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_csat AFTER UPDATE OF rating ON csat_surveys
    FOR EACH ROW EXECUTE FUNCTION report_csat_trg();

-- +goose Down
DROP TRIGGER report_csat ON csat_surveys;
DROP FUNCTION report_csat_trg;
DROP TABLE report_csat_daily, csat_surveys, csat_team_settings, csat_settings;
