-- +goose Up
-- A CSAT survey answer (00200) is a customer message stored into a
-- conversation that stays resolved: it starts no first-response wait. The
-- rule sits in the trigger that starts waits, not in a later statement of
-- the survey path that took the wait back.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION report_messages_ins_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c conversations; camp BIGINT; cm BIGINT;
BEGIN
    -- A coexistence number's history sync (messages.origin, migration 00152;
    -- resolved when the trigger runs) stores past chats: not activity of
    -- the period they are stored in, and no customer waiting.
    -- Lines of the thread (direction 'note', migration 00160: assignment
    -- changes) are no messages.
    IF NEW.origin = 'history' OR NEW.direction NOT IN ('in', 'out') THEN RETURN NULL; END IF;
    SELECT * INTO c FROM conversations WHERE id = NEW.conversation_id;
    IF NEW.direction = 'in' THEN
        PERFORM report_bump(NEW.created_at, c.team_id, c.assignee_agent_id, c.sender_id, c.labels, d_msg_in => 1);
        SELECT r.campaign_id, m.id INTO camp, cm FROM messages m JOIN campaign_recipients r ON r.message_id = m.id
            WHERE m.conversation_id = NEW.conversation_id AND m.direction = 'out' AND m.type = 'template'
                AND m.created_at >= NEW.created_at - interval '72 hours' AND m.created_at < NEW.created_at
                AND m.status IN ('sent','delivered','read') AND COALESCE(m.sent_at, m.created_at) < NEW.created_at
            ORDER BY m.created_at DESC LIMIT 1;
        IF cm IS NOT NULL AND cm IS DISTINCT FROM c.rpt_replied_msg THEN
            PERFORM report_campaign_bump(NEW.created_at, camp, c.team_id, c.assignee_agent_id, c.sender_id, d_replied => 1);
        ELSE
            cm := NULL;
        END IF;
        -- A conversation still resolved after the message was stored got a
        -- survey answer (models/ingest, csat.go): no customer waiting.
        -- Every other customer message reopens it in its own statement.
        IF (NOT c.rpt_responded AND c.rpt_wait_since IS NULL AND c.status <> 'resolved') OR cm IS NOT NULL THEN
            UPDATE conversations SET
                rpt_wait_since = CASE WHEN NOT rpt_responded AND rpt_wait_since IS NULL AND status <> 'resolved' THEN NEW.created_at ELSE rpt_wait_since END,
                rpt_replied_msg = COALESCE(cm, rpt_replied_msg)
            WHERE id = c.id;
        END IF;
    ELSE
        PERFORM report_bump(NEW.created_at, c.team_id, c.assignee_agent_id, c.sender_id, c.labels,
            d_msg_out => 1, d_tpl_sent => (NEW.type = 'template')::int);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION report_messages_ins_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c conversations; camp BIGINT; cm BIGINT;
BEGIN
    -- A coexistence number's history sync (messages.origin, migration 00152;
    -- resolved when the trigger runs) stores past chats: not activity of
    -- the period they are stored in, and no customer waiting.
    -- Lines of the thread (direction 'note', migration 00160: assignment
    -- changes) are no messages.
    IF NEW.origin = 'history' OR NEW.direction NOT IN ('in', 'out') THEN RETURN NULL; END IF;
    SELECT * INTO c FROM conversations WHERE id = NEW.conversation_id;
    IF NEW.direction = 'in' THEN
        PERFORM report_bump(NEW.created_at, c.team_id, c.assignee_agent_id, c.sender_id, c.labels, d_msg_in => 1);
        SELECT r.campaign_id, m.id INTO camp, cm FROM messages m JOIN campaign_recipients r ON r.message_id = m.id
            WHERE m.conversation_id = NEW.conversation_id AND m.direction = 'out' AND m.type = 'template'
                AND m.created_at >= NEW.created_at - interval '72 hours' AND m.created_at < NEW.created_at
                AND m.status IN ('sent','delivered','read') AND COALESCE(m.sent_at, m.created_at) < NEW.created_at
            ORDER BY m.created_at DESC LIMIT 1;
        IF cm IS NOT NULL AND cm IS DISTINCT FROM c.rpt_replied_msg THEN
            PERFORM report_campaign_bump(NEW.created_at, camp, c.team_id, c.assignee_agent_id, c.sender_id, d_replied => 1);
        ELSE
            cm := NULL;
        END IF;
        IF (NOT c.rpt_responded AND c.rpt_wait_since IS NULL) OR cm IS NOT NULL THEN
            UPDATE conversations SET
                rpt_wait_since = CASE WHEN NOT rpt_responded AND rpt_wait_since IS NULL THEN NEW.created_at ELSE rpt_wait_since END,
                rpt_replied_msg = COALESCE(cm, rpt_replied_msg)
            WHERE id = c.id;
        END IF;
    ELSE
        PERFORM report_bump(NEW.created_at, c.team_id, c.assignee_agent_id, c.sender_id, c.labels,
            d_msg_out => 1, d_tpl_sent => (NEW.type = 'template')::int);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
