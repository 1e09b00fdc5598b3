-- +goose Up
-- Inbox: outbound send state (exactly-once sends), conversation labels,
-- snooze and preview, private notes and canned responses.
ALTER TABLE messages
    ADD COLUMN send_state      TEXT        NOT NULL DEFAULT 'none' CHECK (send_state IN ('none','pending','attempted','done')),
    ADD COLUMN send_attempts   INT         NOT NULL DEFAULT 0,
    ADD COLUMN attempted_at    TIMESTAMPTZ,
    ADD COLUMN author_agent_id BIGINT,
    ADD COLUMN reply_to_wamid  TEXT        NOT NULL DEFAULT '';
CREATE INDEX messages_biz_opaque_idx ON messages (biz_opaque) WHERE biz_opaque <> '';

ALTER TABLE conversations
    ADD COLUMN labels        TEXT[]      NOT NULL DEFAULT '{}',
    ADD COLUMN snoozed_until TIMESTAMPTZ,
    ADD COLUMN last_preview  TEXT        NOT NULL DEFAULT '',
    ADD COLUMN resolved_at   TIMESTAMPTZ;
CREATE INDEX conversations_activity_idx ON conversations (last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_assignee_idx ON conversations (assignee_agent_id);
CREATE INDEX conversations_team_idx ON conversations (team_id);

-- Round-robin cursors: the last agent that got a conversation / a case.
ALTER TABLE teams
    ADD COLUMN conv_rr_cursor BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN case_rr_cursor BIGINT NOT NULL DEFAULT 0;

-- window_signals: a customer message that opened a window, stored in the
-- webhook's transaction; the api signals Temporal right after commit and
-- deletes the row, and the worker re-signals any row left by a crash.
CREATE TABLE window_signals (
    conversation_id BIGINT      PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id       BIGINT      NOT NULL,
    contact_id      BIGINT      NOT NULL,
    message_id      BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE conversation_notes (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_id        BIGINT      NOT NULL,
    body            TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX conversation_notes_conv_idx ON conversation_notes (conversation_id, id);

CREATE TABLE canned_responses (
    id         BIGSERIAL PRIMARY KEY,
    shortcut   TEXT        NOT NULL UNIQUE CHECK (shortcut ~ '^[a-z0-9_-]{1,32}$'),
    title      TEXT        NOT NULL DEFAULT '',
    body       TEXT        NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE canned_responses;
DROP TABLE conversation_notes;
DROP TABLE window_signals;
ALTER TABLE teams DROP COLUMN conv_rr_cursor, DROP COLUMN case_rr_cursor;
DROP INDEX conversations_team_idx;
DROP INDEX conversations_assignee_idx;
DROP INDEX conversations_activity_idx;
ALTER TABLE conversations DROP COLUMN labels, DROP COLUMN snoozed_until, DROP COLUMN last_preview, DROP COLUMN resolved_at;
DROP INDEX messages_biz_opaque_idx;
ALTER TABLE messages DROP COLUMN send_state, DROP COLUMN send_attempts, DROP COLUMN attempted_at, DROP COLUMN author_agent_id, DROP COLUMN reply_to_wamid;
