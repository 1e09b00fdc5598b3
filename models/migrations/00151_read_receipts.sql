-- +goose Up
-- Read receipts and typing indicators to send (models/inbox/receipts.go):
-- one row per conversation, the newest inbound message to mark read; an
-- agent opening or typing writes it, the workers' relay sends it to Meta
-- (only the worker calls the Cloud API) and deletes it.
CREATE TABLE read_receipts (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    wamid TEXT NOT NULL,
    typing BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_until TIMESTAMPTZ
);
CREATE INDEX read_receipts_created_idx ON read_receipts (created_at);
-- What was last marked read (no second receipt for it) and when the last
-- typing indicator went (at most one per 20 s: Meta shows it for 25 s).
ALTER TABLE conversations ADD COLUMN receipted_wamid TEXT;
ALTER TABLE conversations ADD COLUMN typing_sent_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE conversations DROP COLUMN typing_sent_at;
ALTER TABLE conversations DROP COLUMN receipted_wamid;
DROP TABLE read_receipts;
