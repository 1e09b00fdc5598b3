-- +goose Up
-- Reports: rollups kept by triggers in the transaction of each event, so a
-- report reads a few thousand rollup rows instead of scanning messages.
--
--   report_hourly   hour (UTC bucket) x team x agent x number: conversations, response
--                   times (sums + fixed histogram buckets), messages, delivery, cost
--   report_daily    the same per local day (report_settings.zone); report_team_daily per day x team
--   report_hod      local day x hour of day x team (hour-of-day charts without agents)
--   report_label_daily  conversation metrics per label
--   report_case_daily   case outcomes by team x agent x DPD bucket
--   report_campaign_daily, report_failure_daily, report_cost_daily, report_presence_daily
--
-- Dimension 0 means "none" (unassigned, no team, no campaign). Times are
-- seconds, money is milli-rupiah (BIGINT: 1 IDR = 1000). Histograms are 16
-- fixed buckets (upper bounds in models/reports.HistBounds, report_bin here).

CREATE TABLE report_settings (
    id        INT     PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    zone      TEXT    NOT NULL DEFAULT 'Asia/Jakarta',
    -- ISO days of week (1 = Monday) and minutes of the local day.
    work_days INT[]   NOT NULL DEFAULT '{1,2,3,4,5}',
    day_start INT     NOT NULL DEFAULT 480 CHECK (day_start BETWEEN 0 AND 1440),
    day_end   INT     NOT NULL DEFAULT 1020 CHECK (day_end BETWEEN 0 AND 1440),
    CHECK (day_start < day_end)
);
INSERT INTO report_settings (id) VALUES (1);

-- Rate card: a recipient's market is the longest matching prefix of its
-- number; a message's price is its market's price for the pricing category
-- Meta reported (market 'default' when none matches).
CREATE TABLE rate_card_prefixes (
    prefix TEXT PRIMARY KEY CHECK (prefix ~ '^[0-9]{1,6}$'),
    market TEXT NOT NULL CHECK (market <> '')
);
CREATE TABLE rate_card (
    market      TEXT        NOT NULL CHECK (market <> ''),
    category    TEXT        NOT NULL CHECK (category ~ '^[a-z_]{1,40}$'),
    price_milli BIGINT      NOT NULL CHECK (price_milli >= 0),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (market, category)
);
-- Example prices in IDR (Meta's Indonesia rates converted at about 14,266 IDR/USD);
-- operators replace them from Meta's current rate card (PUT /api/v1/reports/rate-card).
INSERT INTO rate_card_prefixes (prefix, market) VALUES ('62', 'ID');
INSERT INTO rate_card (market, category, price_milli) VALUES
    ('ID', 'marketing', 586330), ('ID', 'utility', 356650), ('ID', 'authentication', 356650),
    ('ID', 'authentication_international', 1940000), ('ID', 'service', 0),
    ('default', 'marketing', 1050000), ('default', 'utility', 420000), ('default', 'authentication', 420000),
    ('default', 'service', 0);

-- Meta's pricing object of the message's status webhooks, and its cost.
ALTER TABLE messages
    ADD COLUMN pricing_model    TEXT,
    ADD COLUMN pricing_type     TEXT,
    ADD COLUMN pricing_category TEXT,
    ADD COLUMN billable         BOOLEAN,
    ADD COLUMN cost_milli       BIGINT;

-- Report state of a conversation's current episode (from creation or reopen
-- to resolve): when it started, the first customer message waiting for an
-- agent's first answer, whether it was answered, whether "new" was moved to
-- its first team/agent, and the campaign message last credited with a reply.
ALTER TABLE conversations
    ADD COLUMN rpt_opened_at   TIMESTAMPTZ,
    ADD COLUMN rpt_wait_since  TIMESTAMPTZ,
    ADD COLUMN rpt_responded   BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN rpt_attributed  BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN rpt_replied_msg BIGINT;
UPDATE conversations SET rpt_opened_at = created_at, rpt_attributed = true;

-- Case report state: contacted once, and the promise to pay being tracked
-- (open -> kept | broken) with its date.
ALTER TABLE cases
    ADD COLUMN rpt_contacted BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN rpt_ptp_state TEXT    NOT NULL DEFAULT '' CHECK (rpt_ptp_state IN ('', 'open', 'kept', 'broken')),
    ADD COLUMN rpt_ptp_date  DATE;

ALTER TABLE agents ADD COLUMN rpt_online_since TIMESTAMPTZ;

-- report_delta: what the triggers append, in the event's transaction; the
-- fold adds it to the rollups below and deletes it (kinds: 1 activity,
-- 2 campaign, 3 failure, 4 cost, 5 case, 6 label move).
CREATE TABLE report_delta (
    id       BIGSERIAL   PRIMARY KEY,
    kind     SMALLINT    NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    team     BIGINT      NOT NULL DEFAULT 0,
    agent    BIGINT      NOT NULL DEFAULT 0,
    sender   BIGINT      NOT NULL DEFAULT 0,
    campaign BIGINT      NOT NULL DEFAULT 0,
    code     INT         NOT NULL DEFAULT 0,
    key      TEXT        NOT NULL DEFAULT '',
    key2     TEXT        NOT NULL DEFAULT '',
    labels   TEXT[]      NOT NULL DEFAULT '{}',
    d        BIGINT[]    NOT NULL,
    frt      BIGINT,
    res      BIGINT
);

CREATE TABLE report_hourly (
    bucket        TIMESTAMPTZ NOT NULL,
    team_id       BIGINT      NOT NULL,
    agent_id      BIGINT      NOT NULL,
    sender_id     BIGINT      NOT NULL,
    conv_new      BIGINT      NOT NULL DEFAULT 0,
    conv_resolved BIGINT      NOT NULL DEFAULT 0,
    conv_reopened BIGINT      NOT NULL DEFAULT 0,
    frt_n         BIGINT      NOT NULL DEFAULT 0,
    frt_sum       BIGINT      NOT NULL DEFAULT 0,
    frt_h         BIGINT[]    NOT NULL,
    res_n         BIGINT      NOT NULL DEFAULT 0,
    res_sum       BIGINT      NOT NULL DEFAULT 0,
    res_h         BIGINT[]    NOT NULL,
    msg_in        BIGINT      NOT NULL DEFAULT 0,
    msg_out       BIGINT      NOT NULL DEFAULT 0,
    tpl_sent      BIGINT      NOT NULL DEFAULT 0,
    delivered     BIGINT      NOT NULL DEFAULT 0,
    read          BIGINT      NOT NULL DEFAULT 0,
    failed        BIGINT      NOT NULL DEFAULT 0,
    opted_out     BIGINT      NOT NULL DEFAULT 0,
    billable      BIGINT      NOT NULL DEFAULT 0,
    free_n        BIGINT      NOT NULL DEFAULT 0,
    cost_milli    BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, team_id, agent_id, sender_id)
);
CREATE INDEX report_hourly_agent_idx ON report_hourly (agent_id, bucket);
CREATE INDEX report_hourly_sender_idx ON report_hourly (sender_id, bucket);
CREATE INDEX report_hourly_team_idx ON report_hourly (team_id, bucket);

CREATE TABLE report_daily (LIKE report_hourly INCLUDING DEFAULTS);
ALTER TABLE report_daily DROP COLUMN bucket, ADD COLUMN day DATE NOT NULL;
ALTER TABLE report_daily ADD PRIMARY KEY (day, team_id, agent_id, sender_id);
CREATE INDEX report_daily_agent_idx ON report_daily (agent_id, day);
CREATE INDEX report_daily_sender_idx ON report_daily (sender_id, day);
CREATE INDEX report_daily_team_idx ON report_daily (team_id, day);

-- report_team_daily: the same per day and team only (the admin's totals,
-- series and team breakdown read ~25x fewer rows than report_daily).
CREATE TABLE report_team_daily (LIKE report_hourly INCLUDING DEFAULTS);
ALTER TABLE report_team_daily DROP COLUMN bucket, DROP COLUMN agent_id, DROP COLUMN sender_id, ADD COLUMN day DATE NOT NULL;
ALTER TABLE report_team_daily ADD PRIMARY KEY (day, team_id);

CREATE TABLE report_hod (LIKE report_hourly INCLUDING DEFAULTS);
ALTER TABLE report_hod DROP COLUMN bucket, DROP COLUMN agent_id, DROP COLUMN sender_id,
    ADD COLUMN day DATE NOT NULL, ADD COLUMN hod SMALLINT NOT NULL CHECK (hod BETWEEN 0 AND 23);
ALTER TABLE report_hod ADD PRIMARY KEY (day, hod, team_id);

CREATE TABLE report_label_daily (
    day           DATE     NOT NULL,
    label         TEXT     NOT NULL,
    team_id       BIGINT   NOT NULL,
    agent_id      BIGINT   NOT NULL,
    sender_id     BIGINT   NOT NULL,
    conv_new      BIGINT   NOT NULL DEFAULT 0,
    conv_resolved BIGINT   NOT NULL DEFAULT 0,
    conv_reopened BIGINT   NOT NULL DEFAULT 0,
    frt_n         BIGINT   NOT NULL DEFAULT 0,
    frt_sum       BIGINT   NOT NULL DEFAULT 0,
    frt_h         BIGINT[] NOT NULL,
    res_n         BIGINT   NOT NULL DEFAULT 0,
    res_sum       BIGINT   NOT NULL DEFAULT 0,
    res_h         BIGINT[] NOT NULL,
    msg_in        BIGINT   NOT NULL DEFAULT 0,
    msg_out       BIGINT   NOT NULL DEFAULT 0,
    PRIMARY KEY (day, label, team_id, agent_id, sender_id)
);
CREATE INDEX report_label_daily_label_idx ON report_label_daily (label, day);

CREATE TABLE report_case_daily (
    day         DATE   NOT NULL,
    team_id     BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    bucket      TEXT   NOT NULL,
    assigned    BIGINT NOT NULL DEFAULT 0,
    contacted   BIGINT NOT NULL DEFAULT 0,
    ptp_made    BIGINT NOT NULL DEFAULT 0,
    ptp_kept    BIGINT NOT NULL DEFAULT 0,
    ptp_broken  BIGINT NOT NULL DEFAULT 0,
    paid        BIGINT NOT NULL DEFAULT 0,
    recovered   BIGINT NOT NULL DEFAULT 0, -- whole rupiah, like cases.outstanding
    PRIMARY KEY (day, team_id, agent_id, bucket)
);

CREATE TABLE report_campaign_daily (
    day         DATE   NOT NULL,
    campaign_id BIGINT NOT NULL,
    team_id     BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    sender_id   BIGINT NOT NULL,
    sent        BIGINT NOT NULL DEFAULT 0,
    delivered   BIGINT NOT NULL DEFAULT 0,
    read        BIGINT NOT NULL DEFAULT 0,
    replied     BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    opted_out   BIGINT NOT NULL DEFAULT 0,
    billable    BIGINT NOT NULL DEFAULT 0,
    free_n      BIGINT NOT NULL DEFAULT 0,
    cost_milli  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, campaign_id, team_id, agent_id, sender_id)
);
CREATE INDEX report_campaign_daily_campaign_idx ON report_campaign_daily (campaign_id, day);

CREATE TABLE report_failure_daily (
    day         DATE   NOT NULL,
    team_id     BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    sender_id   BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    code        INT    NOT NULL,
    reason      TEXT   NOT NULL DEFAULT '',
    n           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, team_id, agent_id, sender_id, campaign_id, code)
);

CREATE TABLE report_cost_daily (
    day         DATE   NOT NULL,
    team_id     BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    sender_id   BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    category    TEXT   NOT NULL,
    ptype       TEXT   NOT NULL,
    n           BIGINT NOT NULL DEFAULT 0,
    billable    BIGINT NOT NULL DEFAULT 0,
    cost_milli  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, team_id, agent_id, sender_id, campaign_id, category, ptype)
);

CREATE TABLE report_presence_daily (
    day      DATE   NOT NULL,
    agent_id BIGINT NOT NULL,
    online_s BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id)
);

-- +goose StatementBegin
-- report_bin: the histogram bucket (1..16) of a duration in seconds; the
-- upper bounds match models/reports.HistBounds.
CREATE FUNCTION report_bin(s BIGINT) RETURNS INT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN s IS NULL THEN 1
        ELSE 1 + (s > 30)::int + (s > 60)::int + (s > 120)::int + (s > 300)::int + (s > 600)::int
               + (s > 900)::int + (s > 1800)::int + (s > 3600)::int + (s > 7200)::int + (s > 14400)::int
               + (s > 28800)::int + (s > 57600)::int + (s > 86400)::int + (s > 172800)::int + (s > 604800)::int END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION report_hist(b INT, n BIGINT) RETURNS BIGINT[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_fill(0::bigint, ARRAY[b - 1]) || n || array_fill(0::bigint, ARRAY[16 - b])
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION report_hadd(a BIGINT[], b BIGINT[]) RETURNS BIGINT[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY(SELECT COALESCE(a[i], 0) + COALESCE(b[i], 0) FROM generate_series(1, 16) i ORDER BY i)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- report_business_seconds: the seconds of [a, b) inside business hours
-- (work_days, day_start..day_end minutes, local time of zone). Mirrors
-- models/reports.BusinessSeconds (a test compares them).
CREATE FUNCTION report_business_seconds(a TIMESTAMPTZ, b TIMESTAMPTZ) RETURNS BIGINT LANGUAGE plpgsql STABLE AS $$
DECLARE
    st report_settings;
    la TIMESTAMP; lb TIMESTAMP; d DATE; last DATE;
    ws TIMESTAMP; we TIMESTAMP; total BIGINT := 0; week BIGINT;
BEGIN
    IF a IS NULL OR b IS NULL OR b <= a THEN RETURN 0; END IF;
    SELECT * INTO st FROM report_settings WHERE id = 1;
    la := a AT TIME ZONE st.zone; lb := b AT TIME ZONE st.zone;
    d := la::date; last := lb::date;
    week := cardinality(ARRAY(SELECT DISTINCT x FROM unnest(st.work_days) x WHERE x BETWEEN 1 AND 7)) * (st.day_end - st.day_start) * 60;
    WHILE d <= last LOOP
        IF d > la::date AND d + 7 < last THEN
            total := total + week; d := d + 7; CONTINUE;
        END IF;
        IF extract(isodow FROM d)::int = ANY (st.work_days) THEN
            ws := d + make_interval(mins => st.day_start);
            we := d + make_interval(mins => st.day_end);
            total := total + GREATEST(0, floor(extract(epoch FROM (LEAST(we, lb) - GREATEST(ws, la)))))::bigint;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN total;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- report_bump appends one event's deltas to report_delta (kind 1); the
-- fold (models/reports.ReportStore.Fold) adds them to the hourly, daily,
-- hour-of-day and label rollups. Appending takes no lock on a shared row:
-- concurrent webhooks and batch sends never wait on (or deadlock over)
-- the same rollup rows. d_frt / d_res are one first response /
-- resolution in seconds (NULL: none). The d array's positions are
-- reports.deltaCols.
CREATE FUNCTION report_bump(p_at TIMESTAMPTZ, p_team BIGINT, p_agent BIGINT, p_sender BIGINT, p_labels TEXT[],
    d_conv_new BIGINT DEFAULT 0, d_conv_resolved BIGINT DEFAULT 0, d_conv_reopened BIGINT DEFAULT 0,
    d_frt BIGINT DEFAULT NULL, d_res BIGINT DEFAULT NULL,
    d_msg_in BIGINT DEFAULT 0, d_msg_out BIGINT DEFAULT 0, d_tpl_sent BIGINT DEFAULT 0,
    d_delivered BIGINT DEFAULT 0, d_read BIGINT DEFAULT 0, d_failed BIGINT DEFAULT 0, d_opted_out BIGINT DEFAULT 0,
    d_billable BIGINT DEFAULT 0, d_free BIGINT DEFAULT 0, d_cost BIGINT DEFAULT 0) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_delta (kind, at, team, agent, sender, labels, d, frt, res)
    SELECT 1, p_at, COALESCE(p_team, 0), COALESCE(p_agent, 0), COALESCE(p_sender, 0), COALESCE(p_labels, '{}'),
        ARRAY[d_conv_new, d_conv_resolved, d_conv_reopened, d_msg_in, d_msg_out, d_tpl_sent, d_delivered, d_read, d_failed,
            d_opted_out, d_billable, d_free, d_cost], d_frt, d_res
    WHERE d_frt IS NOT NULL OR d_res IS NOT NULL OR d_conv_new <> 0 OR d_conv_resolved <> 0 OR d_conv_reopened <> 0
        OR d_msg_in <> 0 OR d_msg_out <> 0 OR d_tpl_sent <> 0 OR d_delivered <> 0 OR d_read <> 0 OR d_failed <> 0
        OR d_opted_out <> 0 OR d_billable <> 0 OR d_free <> 0 OR d_cost <> 0
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION report_local_day(p_at TIMESTAMPTZ) RETURNS DATE LANGUAGE sql STABLE AS $$
    SELECT (p_at AT TIME ZONE (SELECT zone FROM report_settings WHERE id = 1))::date
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Campaign funnel deltas (kind 2).
CREATE FUNCTION report_campaign_bump(p_at TIMESTAMPTZ, p_campaign BIGINT, p_team BIGINT, p_agent BIGINT, p_sender BIGINT,
    d_sent BIGINT DEFAULT 0, d_delivered BIGINT DEFAULT 0, d_read BIGINT DEFAULT 0, d_replied BIGINT DEFAULT 0,
    d_failed BIGINT DEFAULT 0, d_opted_out BIGINT DEFAULT 0, d_billable BIGINT DEFAULT 0, d_free BIGINT DEFAULT 0,
    d_cost BIGINT DEFAULT 0) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_delta (kind, at, team, agent, sender, campaign, d)
    VALUES (2, p_at, COALESCE(p_team, 0), COALESCE(p_agent, 0), COALESCE(p_sender, 0), COALESCE(p_campaign, 0),
        ARRAY[d_sent, d_delivered, d_read, d_replied, d_failed, d_opted_out, d_billable, d_free, d_cost])
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- report_price: the rate card's price (milli-IDR) of a category for a
-- number (digits or E.164): the longest prefix's market, else 'default'.
CREATE FUNCTION report_price(p_category TEXT, p_number TEXT) RETURNS BIGINT LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (SELECT c.price_milli FROM rate_card c
            WHERE c.category = lower(p_category) AND c.market = COALESCE(
                (SELECT p.market FROM rate_card_prefixes p
                    WHERE strpos(regexp_replace(COALESCE(p_number, ''), '[^0-9]', '', 'g'), p.prefix) = 1
                    ORDER BY length(p.prefix) DESC LIMIT 1), 'default')),
        (SELECT c.price_milli FROM rate_card c WHERE c.category = lower(p_category) AND c.market = 'default'),
        0)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- report_label_move counts a conversation in (d = 1) or out of (d = -1) a
-- label, on the day its episode started (kind 6): label trends are
-- conversations per label, whenever the label was put on.
CREATE FUNCTION report_label_move(p_at TIMESTAMPTZ, p_label TEXT, p_team BIGINT, p_agent BIGINT, p_sender BIGINT, d BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_delta (kind, at, team, agent, sender, key, d)
    VALUES (6, p_at, COALESCE(p_team, 0), COALESCE(p_agent, 0), COALESCE(p_sender, 0), p_label, ARRAY[d])
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Conversations: new (moved to the first team/agent it gets), resolved with
-- its resolution time, reopened; each resolve ends the episode.
CREATE FUNCTION report_conversations_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE t TIMESTAMPTZ; lb TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.rpt_opened_at := COALESCE(NEW.rpt_opened_at, NEW.created_at, now());
        NEW.rpt_attributed := NEW.team_id IS NOT NULL OR NEW.assignee_agent_id IS NOT NULL;
        PERFORM report_bump(NEW.rpt_opened_at, NEW.team_id, NEW.assignee_agent_id, NEW.sender_id, NEW.labels, d_conv_new => 1);
        RETURN NEW;
    END IF;
    t := CASE WHEN NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN NEW.updated_at ELSE now() END;
    IF NEW.labels IS DISTINCT FROM OLD.labels THEN
        FOREACH lb IN ARRAY ARRAY(SELECT unnest(NEW.labels) EXCEPT SELECT unnest(OLD.labels)) LOOP
            PERFORM report_label_move(COALESCE(OLD.rpt_opened_at, OLD.created_at), lb, NEW.team_id, NEW.assignee_agent_id, NEW.sender_id, 1);
        END LOOP;
        FOREACH lb IN ARRAY ARRAY(SELECT unnest(OLD.labels) EXCEPT SELECT unnest(NEW.labels)) LOOP
            PERFORM report_label_move(COALESCE(OLD.rpt_opened_at, OLD.created_at), lb, OLD.team_id, OLD.assignee_agent_id, OLD.sender_id, -1);
        END LOOP;
    END IF;
    IF NOT OLD.rpt_attributed AND (NEW.team_id IS NOT NULL OR NEW.assignee_agent_id IS NOT NULL) THEN
        PERFORM report_bump(OLD.rpt_opened_at, OLD.team_id, OLD.assignee_agent_id, OLD.sender_id, OLD.labels, d_conv_new => -1);
        PERFORM report_bump(OLD.rpt_opened_at, NEW.team_id, NEW.assignee_agent_id, NEW.sender_id, OLD.labels, d_conv_new => 1);
        NEW.rpt_attributed := true;
    END IF;
    IF OLD.status <> 'resolved' AND NEW.status = 'resolved' THEN
        t := COALESCE(NEW.resolved_at, t);
        PERFORM report_bump(t, NEW.team_id, NEW.assignee_agent_id, NEW.sender_id, NEW.labels, d_conv_resolved => 1,
            d_res => report_business_seconds(COALESCE(OLD.rpt_opened_at, OLD.created_at), t));
        NEW.rpt_wait_since := NULL;
        NEW.rpt_responded := false;
    ELSIF OLD.status = 'resolved' AND NEW.status <> 'resolved' THEN
        PERFORM report_bump(t, NEW.team_id, NEW.assignee_agent_id, NEW.sender_id, NEW.labels, d_conv_reopened => 1);
        NEW.rpt_opened_at := t;
        NEW.rpt_wait_since := NULL;
        NEW.rpt_responded := false;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_conversations BEFORE INSERT OR UPDATE OF status, team_id, assignee_agent_id, labels ON conversations
    FOR EACH ROW EXECUTE FUNCTION report_conversations_trg();

-- +goose StatementBegin
-- Messages in and out; a customer message starts the wait for a first
-- response and may be the reply to a campaign message (the conversation's
-- latest campaign template sent in the 72 h before, credited once). Only
-- the inbound path touches the conversation row, which its own statement
-- has locked already.
CREATE FUNCTION report_messages_ins_trg() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER report_messages_ins AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION report_messages_ins_trg();

-- +goose StatementBegin
-- Outbound messages: an agent's first answer of the episode (first response,
-- business seconds), delivery, failures by code, campaign funnel, and the
-- cost of Meta's pricing object (the first status that carries it). The
-- status path only appends deltas: it locks no conversation or rollup row.
CREATE FUNCTION report_messages_upd_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c conversations; camp BIGINT := 0; ag BIGINT; at TIMESTAMPTZ;
    d_sent INT := 0; d_del INT := 0; d_read INT := 0; d_fail INT := 0;
    priced BOOLEAN := false; bill INT := 0; fr INT := 0; cost BIGINT := 0; phone TEXT;
BEGIN
    IF NEW.direction <> 'out' OR NEW.origin = 'history' THEN RETURN NEW; END IF;
    SELECT * INTO c FROM conversations WHERE id = NEW.conversation_id;
    IF c.id IS NULL THEN RETURN NEW; END IF;
    ag := COALESCE(c.assignee_agent_id, NEW.author_agent_id);
    IF OLD.author_agent_id IS NULL AND NEW.author_agent_id IS NOT NULL
            AND c.rpt_wait_since IS NOT NULL AND NOT c.rpt_responded THEN
        -- the agent's send: its own transaction updates this conversation next
        PERFORM report_bump(NEW.created_at, c.team_id, NEW.author_agent_id, c.sender_id, c.labels,
            d_frt => report_business_seconds(c.rpt_wait_since, NEW.created_at));
        UPDATE conversations SET rpt_responded = true, rpt_wait_since = NULL WHERE id = c.id;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        d_sent := (NEW.status IN ('sent','delivered','read') AND OLD.status NOT IN ('sent','delivered','read'))::int;
        d_del := (NEW.status IN ('delivered','read') AND OLD.status NOT IN ('delivered','read'))::int;
        d_read := (NEW.status = 'read' AND OLD.status <> 'read')::int;
        d_fail := (NEW.status = 'failed' AND OLD.status <> 'failed')::int;
    END IF;
    IF NEW.pricing_category IS NOT NULL AND OLD.pricing_category IS NULL THEN
        priced := true;
        IF COALESCE(NEW.billable, false) AND COALESCE(NEW.pricing_type, 'regular') = 'regular' THEN
            SELECT COALESCE(k.phone_e164, k.wa_id) INTO phone FROM contacts k WHERE k.id = c.contact_id;
            cost := report_price(NEW.pricing_category, phone);
            bill := 1;
        ELSE
            fr := 1;
        END IF;
        NEW.cost_milli := cost;
    END IF;
    IF d_sent + d_del + d_read + d_fail = 0 AND NOT priced THEN RETURN NEW; END IF;
    IF NEW.type = 'template' THEN
        SELECT r.campaign_id INTO camp FROM campaign_recipients r WHERE r.message_id = NEW.id LIMIT 1;
        camp := COALESCE(camp, 0);
    END IF;
    at := COALESCE(NEW.sent_at, NEW.created_at);
    PERFORM report_bump(at, c.team_id, ag, c.sender_id, c.labels,
        d_delivered => d_del, d_read => d_read, d_failed => d_fail, d_billable => bill, d_free => fr, d_cost => cost);
    IF camp <> 0 THEN
        PERFORM report_campaign_bump(at, camp, c.team_id, ag, c.sender_id,
            d_sent => d_sent, d_delivered => d_del, d_read => d_read, d_failed => d_fail,
            d_billable => bill, d_free => fr, d_cost => cost);
    END IF;
    IF d_fail = 1 THEN
        INSERT INTO report_delta (kind, at, team, agent, sender, campaign, code, key, d)
        VALUES (3, COALESCE(NEW.failed_at, NEW.created_at), COALESCE(c.team_id, 0), COALESCE(ag, 0), c.sender_id, camp,
            COALESCE(NEW.error_code, 0), left(NEW.error_reason, 200), ARRAY[1]);
    END IF;
    IF priced THEN
        INSERT INTO report_delta (kind, at, team, agent, sender, campaign, key, key2, d)
        VALUES (4, at, COALESCE(c.team_id, 0), COALESCE(ag, 0), c.sender_id, camp,
            lower(NEW.pricing_category), COALESCE(NEW.pricing_type, ''), ARRAY[1, bill, cost]);
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_messages_upd BEFORE UPDATE OF status, author_agent_id, pricing_category ON messages
    FOR EACH ROW EXECUTE FUNCTION report_messages_upd_trg();

-- +goose StatementBegin
-- A contact opting out counts for its latest conversation (and the campaign
-- whose template that conversation got last, if any).
CREATE FUNCTION report_contacts_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c conversations; camp BIGINT;
BEGIN
    IF NEW.opted_out AND NOT OLD.opted_out THEN
        SELECT * INTO c FROM conversations WHERE contact_id = NEW.id ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 1;
        SELECT r.campaign_id INTO camp FROM messages m JOIN campaign_recipients r ON r.message_id = m.id
            WHERE m.conversation_id = c.id AND m.direction = 'out' AND m.type = 'template'
            ORDER BY m.created_at DESC LIMIT 1;
        PERFORM report_bump(now(), c.team_id, c.assignee_agent_id, c.sender_id, c.labels, d_opted_out => 1);
        PERFORM report_campaign_bump(now(), COALESCE(camp, 0), c.team_id, c.assignee_agent_id, c.sender_id, d_opted_out => 1);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_contacts AFTER UPDATE OF opted_out ON contacts
    FOR EACH ROW EXECUTE FUNCTION report_contacts_trg();

-- +goose StatementBegin
-- report_dpd_bucket mirrors models/cases.Bucket(DPD(due, day)).
CREATE FUNCTION report_dpd_bucket(due DATE, day DATE) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN due IS NULL OR day - due <= 0 THEN 'B0' WHEN day - due <= 30 THEN 'B1'
        WHEN day - due <= 60 THEN 'B2' WHEN day - due <= 90 THEN 'B3' ELSE 'B4' END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Cases: assigned, contacted (first reaching outcome), promise to pay made,
-- kept (a payment on or before the promised date) or broken (the follow-up
-- after the date passed, a late payment, or a new promise over a missed one),
-- paid (exit 'paid') and the recovered amount (outstanding decreases, and
-- what was left at a 'paid' exit).
CREATE FUNCTION report_cases_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    at TIMESTAMPTZ; dy DATE; bk TEXT;
    d_as INT := 0; d_ct INT := 0; d_pm INT := 0; d_pk INT := 0; d_pb INT := 0; d_pd INT := 0; d_rec BIGINT := 0;
    paying BOOLEAN := false;
BEGIN
    at := CASE WHEN TG_OP = 'INSERT' THEN COALESCE(NEW.created_at, now())
               WHEN NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN NEW.updated_at ELSE now() END;
    dy := report_local_day(at);
    bk := report_dpd_bucket(NEW.due_date, dy);
    IF NEW.agent_id IS NOT NULL AND NEW.status IN ('assigned','in_progress')
            AND (TG_OP = 'INSERT' OR OLD.agent_id IS DISTINCT FROM NEW.agent_id) THEN
        d_as := 1;
    END IF;
    IF NOT NEW.rpt_contacted AND NEW.outcome IN ('contacted','promise_to_pay','refused','paid_partial','callback')
            AND (TG_OP = 'INSERT' OR NEW.outcome IS DISTINCT FROM OLD.outcome OR NEW.outcome_note IS DISTINCT FROM OLD.outcome_note) THEN
        d_ct := 1; NEW.rpt_contacted := true;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.outstanding < OLD.outstanding THEN
            d_rec := OLD.outstanding - NEW.outstanding; paying := true;
        END IF;
        IF NEW.exit_reason = 'paid' AND OLD.exit_reason IS DISTINCT FROM 'paid' THEN
            d_pd := 1; d_rec := d_rec + NEW.outstanding; paying := true;
        END IF;
        IF NEW.outcome = 'paid_partial' AND OLD.outcome IS DISTINCT FROM 'paid_partial' THEN
            paying := true;
        END IF;
        IF paying AND NEW.rpt_ptp_state = 'open' THEN
            IF dy <= NEW.rpt_ptp_date THEN d_pk := 1; NEW.rpt_ptp_state := 'kept';
            ELSE d_pb := 1; NEW.rpt_ptp_state := 'broken'; END IF;
        ELSIF NEW.rpt_ptp_state = 'open' AND dy > NEW.rpt_ptp_date
                AND ((NEW.overdue AND NOT OLD.overdue) OR (NEW.outcome = 'promise_to_pay' AND NEW.promise_date IS DISTINCT FROM OLD.promise_date)) THEN
            d_pb := 1; NEW.rpt_ptp_state := 'broken';
        END IF;
    END IF;
    IF NEW.outcome = 'promise_to_pay' AND NEW.promise_date IS NOT NULL
            AND (TG_OP = 'INSERT' OR OLD.outcome IS DISTINCT FROM 'promise_to_pay' OR NEW.promise_date IS DISTINCT FROM OLD.promise_date) THEN
        d_pm := 1; NEW.rpt_ptp_state := 'open'; NEW.rpt_ptp_date := NEW.promise_date;
    END IF;
    IF d_as + d_ct + d_pm + d_pk + d_pb + d_pd = 0 AND d_rec = 0 THEN RETURN NEW; END IF;
    INSERT INTO report_delta (kind, at, team, agent, key, d)
    VALUES (5, at, NEW.team_id, COALESCE(NEW.agent_id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.agent_id END, 0), bk,
        ARRAY[d_as, d_ct, d_pm, d_pk, d_pb, d_pd, d_rec]);
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_cases BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION report_cases_trg();

-- +goose StatementBegin
-- Online time per agent and local day, from presence changes.
CREATE FUNCTION report_agents_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE a TIMESTAMPTZ; b TIMESTAMPTZ := now(); z TEXT; nxt TIMESTAMPTZ;
BEGIN
    IF NEW.presence = 'online' AND OLD.presence <> 'online' THEN
        NEW.rpt_online_since := b;
    ELSIF OLD.presence = 'online' AND NEW.presence <> 'online' AND OLD.rpt_online_since IS NOT NULL THEN
        SELECT zone INTO z FROM report_settings WHERE id = 1;
        a := OLD.rpt_online_since;
        WHILE a < b LOOP
            nxt := LEAST(b, ((date_trunc('day', a AT TIME ZONE z) + interval '1 day') AT TIME ZONE z));
            INSERT INTO report_presence_daily AS r (day, agent_id, online_s)
            VALUES ((a AT TIME ZONE z)::date, NEW.id, floor(extract(epoch FROM nxt - a))::bigint)
            ON CONFLICT (day, agent_id) DO UPDATE SET online_s = r.online_s + EXCLUDED.online_s;
            a := nxt;
        END LOOP;
        NEW.rpt_online_since := NULL;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_agents BEFORE UPDATE OF presence ON agents
    FOR EACH ROW EXECUTE FUNCTION report_agents_trg();

-- +goose Down
DROP TRIGGER report_agents ON agents;
DROP TRIGGER report_cases ON cases;
DROP TRIGGER report_contacts ON contacts;
DROP TRIGGER report_messages_upd ON messages;
DROP TRIGGER report_messages_ins ON messages;
DROP TRIGGER report_conversations ON conversations;
DROP FUNCTION report_agents_trg;
DROP FUNCTION report_cases_trg;
DROP FUNCTION report_dpd_bucket;
DROP FUNCTION report_contacts_trg;
DROP FUNCTION report_messages_upd_trg;
DROP FUNCTION report_messages_ins_trg;
DROP FUNCTION report_conversations_trg;
DROP FUNCTION report_price;
DROP FUNCTION report_label_move;
DROP FUNCTION report_campaign_bump;
DROP FUNCTION report_local_day;
DROP FUNCTION report_bump;
DROP FUNCTION report_business_seconds;
DROP FUNCTION report_hist;
DROP FUNCTION report_hadd;
DROP FUNCTION report_bin;
DROP TABLE report_delta, report_presence_daily, report_cost_daily, report_failure_daily, report_campaign_daily, report_case_daily,
    report_label_daily, report_hod, report_team_daily, report_daily, report_hourly;
ALTER TABLE agents DROP COLUMN rpt_online_since;
ALTER TABLE cases DROP COLUMN rpt_contacted, DROP COLUMN rpt_ptp_state, DROP COLUMN rpt_ptp_date;
ALTER TABLE conversations DROP COLUMN rpt_opened_at, DROP COLUMN rpt_wait_since, DROP COLUMN rpt_responded,
    DROP COLUMN rpt_attributed, DROP COLUMN rpt_replied_msg;
ALTER TABLE messages DROP COLUMN pricing_model, DROP COLUMN pricing_type, DROP COLUMN pricing_category,
    DROP COLUMN billable, DROP COLUMN cost_milli;
DROP TABLE rate_card, rate_card_prefixes, report_settings;
