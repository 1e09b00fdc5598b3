-- +goose Up
-- Per-number dispatch (SenderWorkflow): campaign recipients wait in a queue
-- per sender, ordered by the moment they may be sent (quiet hours, backoff).
ALTER TABLE campaigns ADD COLUMN dispatch TEXT NOT NULL DEFAULT 'workflow' CHECK (dispatch IN ('workflow', 'sender'));
ALTER TABLE campaign_recipients ADD COLUMN not_before TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE campaign_recipients ADD COLUMN zone TEXT NOT NULL DEFAULT '';
CREATE INDEX campaign_recipients_sender_queue ON campaign_recipients (sender_id, not_before, id) WHERE status = 'queued';
CREATE INDEX campaign_recipients_campaign_status ON campaign_recipients (campaign_id, status);

-- Warm-up: a new number's daily template cap grows from this day on (NULL: no ramp).
ALTER TABLE senders ADD COLUMN warmup_started_at TIMESTAMPTZ;

-- Sends granted per number per calendar second (Unix seconds): the one
-- throughput budget that campaign dispatch and inbox sends share, across
-- every worker process. Rows older than a minute are useless and pruned.
CREATE TABLE sender_second_slots (
    sender_id BIGINT NOT NULL,
    second    BIGINT NOT NULL,
    used      INT    NOT NULL DEFAULT 0,
    PRIMARY KEY (sender_id, second)
);

-- Business-initiated templates sent per number per local day (warm-up cap).
CREATE TABLE sender_daily_usage (
    sender_id BIGINT NOT NULL,
    day       DATE   NOT NULL,
    templates INT    NOT NULL DEFAULT 0,
    PRIMARY KEY (sender_id, day)
);

-- Unique users reached by business-initiated messages outside the window,
-- per business portfolio (Meta's rolling-24h messaging limit is per portfolio).
CREATE TABLE portfolio_reach (
    portfolio  TEXT        NOT NULL,
    contact_id BIGINT      NOT NULL,
    reached_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (portfolio, contact_id)
);
CREATE INDEX portfolio_reach_recent ON portfolio_reach (portfolio, reached_at);

-- +goose Down
DROP TABLE portfolio_reach;
DROP TABLE sender_daily_usage;
DROP TABLE sender_second_slots;
ALTER TABLE senders DROP COLUMN warmup_started_at;
DROP INDEX campaign_recipients_campaign_status;
DROP INDEX campaign_recipients_sender_queue;
ALTER TABLE campaign_recipients DROP COLUMN zone;
ALTER TABLE campaign_recipients DROP COLUMN not_before;
ALTER TABLE campaigns DROP COLUMN dispatch;
