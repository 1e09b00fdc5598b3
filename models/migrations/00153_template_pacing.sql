-- +goose Up
-- Template pacing: Meta may accept a template send with message_status
-- held_for_quality_assessment and keep it until early feedback on the
-- template is in; then the held messages go out (statuses follow) or are
-- dropped (the template is paused, each held message fails with 132015).
-- held_at marks such a message until its fate is known; paced_since marks
-- the template, whose campaigns wait meanwhile (models/templates/hold.go).
ALTER TABLE messages ADD COLUMN held_at TIMESTAMPTZ;
ALTER TABLE templates ADD COLUMN paced_since TIMESTAMPTZ;

-- +goose Down
ALTER TABLE templates DROP COLUMN paced_since;
ALTER TABLE messages DROP COLUMN held_at;
