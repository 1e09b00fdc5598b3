-- +goose Up
-- Media of messages, both ways. An inbound media message gets a pending row
-- in the same transaction as the message (the durable to-do of the fetch:
-- the worker starts one MediaFetch workflow per row); an agent's upload gets
-- a stored row at once and is linked to its message when it is queued.
-- The bytes live in the blob store under blob_key (thumb_key for images);
-- the row outlives them: retention deletes the blobs and marks it expired.
CREATE TABLE media (
    id              BIGSERIAL PRIMARY KEY,
    conversation_id BIGINT      NOT NULL REFERENCES conversations(id),
    message_id      BIGINT      REFERENCES messages(id),
    direction       TEXT        NOT NULL CHECK (direction IN ('in', 'out')),
    kind            TEXT        NOT NULL, -- image document audio video sticker
    wa_media_id     TEXT        NOT NULL DEFAULT '',
    mime_type       TEXT        NOT NULL DEFAULT '',
    filename        TEXT        NOT NULL DEFAULT '',
    size_bytes      BIGINT      NOT NULL DEFAULT 0,
    sha256          TEXT        NOT NULL DEFAULT '',
    width           INT         NOT NULL DEFAULT 0,
    height          INT         NOT NULL DEFAULT 0,
    blob_key        TEXT        NOT NULL DEFAULT '',
    thumb_key       TEXT        NOT NULL DEFAULT '',
    status          TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed', 'expired')),
    error           TEXT        NOT NULL DEFAULT '',
    fetch_started_at TIMESTAMPTZ,
    stored_at       TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX media_message ON media (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX media_conversation ON media (conversation_id);
-- The fetcher's queue: pending inbound rows whose workflow was not started.
CREATE INDEX media_to_fetch ON media (created_at) WHERE status = 'pending' AND fetch_started_at IS NULL;
-- Retention walks stored rows by age.
CREATE INDEX media_stored_at ON media (stored_at) WHERE status = 'stored';
-- An upload is found by the media id the composer sends with.
CREATE INDEX media_wa_out ON media (conversation_id, wa_media_id) WHERE direction = 'out';

-- +goose Down
DROP TABLE media;
