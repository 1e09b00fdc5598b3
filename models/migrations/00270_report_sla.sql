-- +goose Up
-- SLA alerts in the reports (#18): every near-breach and breach recorded
-- in sla_events (00230, once per wait and level) appends a kind 8 delta at
-- its moment, which the fold adds to report_sla_daily; the report reads
-- the counts per day, team, agent and number over any range, like CSAT.
-- d = [near, breach, breach of a first response, breach of a next one].
CREATE TABLE report_sla_daily (
    day            DATE   NOT NULL,
    team_id        BIGINT NOT NULL,
    agent_id       BIGINT NOT NULL,
    sender_id      BIGINT NOT NULL,
    near           BIGINT NOT NULL DEFAULT 0,
    breached       BIGINT NOT NULL DEFAULT 0,
    breached_first BIGINT NOT NULL DEFAULT 0,
    breached_next  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, team_id, agent_id, sender_id)
);
CREATE INDEX report_sla_daily_agent_idx ON report_sla_daily (agent_id, day);

-- +goose StatementBegin
CREATE FUNCTION report_sla_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_delta (kind, at, team, agent, sender, d)
    SELECT 8, NEW.at, COALESCE(NEW.team_id, 0), COALESCE(NEW.agent_id, 0), c.sender_id,
        ARRAY[(NEW.level = 'near')::int, (NEW.level = 'breach')::int,
            (NEW.level = 'breach' AND NEW.kind = 'first')::int, (NEW.level = 'breach' AND NEW.kind = 'next')::int]
    FROM conversations c WHERE c.id = NEW.conversation_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_sla AFTER INSERT ON sla_events
    FOR EACH ROW EXECUTE FUNCTION report_sla_trg();

-- Alerts recorded before this migration, straight into the rollup.
INSERT INTO report_sla_daily (day, team_id, agent_id, sender_id, near, breached, breached_first, breached_next)
SELECT (e.at AT TIME ZONE (SELECT zone FROM report_settings WHERE id = 1))::date, COALESCE(e.team_id, 0), COALESCE(e.agent_id, 0), c.sender_id,
    count(*) FILTER (WHERE e.level = 'near'), count(*) FILTER (WHERE e.level = 'breach'),
    count(*) FILTER (WHERE e.level = 'breach' AND e.kind = 'first'), count(*) FILTER (WHERE e.level = 'breach' AND e.kind = 'next')
FROM sla_events e JOIN conversations c ON c.id = e.conversation_id
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TRIGGER report_sla ON sla_events;
DROP FUNCTION report_sla_trg;
DROP TABLE report_sla_daily;
