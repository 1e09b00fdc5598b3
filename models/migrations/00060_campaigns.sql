-- +goose Up
-- campaigns: template-first outreach to a segment over a pool of senders.
CREATE TABLE campaigns (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT        NOT NULL CHECK (name <> ''),
    template_id   BIGINT      NOT NULL REFERENCES templates(id),
    variables     JSONB       NOT NULL DEFAULT '{}',
    segment_id    BIGINT      NOT NULL REFERENCES segments(id),
    sender_ids    BIGINT[]    NOT NULL,
    start_at      TIMESTAMPTZ,
    end_at        TIMESTAMPTZ,
    quiet_hours   JSONB       NOT NULL DEFAULT '{}',
    cap_max       INT         NOT NULL DEFAULT 0 CHECK (cap_max >= 0),
    cap_window_s  BIGINT      NOT NULL DEFAULT 0 CHECK (cap_window_s >= 0),
    status        TEXT        NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft','scheduled','running','paused','completed','cancelled','failed')),
    status_reason TEXT        NOT NULL DEFAULT '',
    created_by    BIGINT,
    launched_at   TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per (campaign, contact): claiming it is what makes a send happen
-- at most once; message_id is the outbound messages row (exactly-once outbox).
CREATE TABLE campaign_recipients (
    id           BIGSERIAL PRIMARY KEY,
    campaign_id  BIGINT      NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id   BIGINT      NOT NULL REFERENCES contacts(id),
    sender_id    BIGINT      REFERENCES senders(id),
    message_id   BIGINT      REFERENCES messages(id),
    status       TEXT        NOT NULL
                 CHECK (status IN ('queued','sent','delivered','read','replied','failed','skipped')),
    reason       TEXT        NOT NULL DEFAULT '',
    error_code   INT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, contact_id)
);
CREATE INDEX campaign_recipients_message_idx ON campaign_recipients (message_id);
-- The frequency cap counts recent template sends per contact.
CREATE INDEX messages_out_template_idx ON messages (conversation_id, created_at) WHERE direction = 'out' AND type = 'template';

-- +goose Down
DROP INDEX messages_out_template_idx;
DROP TABLE campaign_recipients;
DROP TABLE campaigns;
