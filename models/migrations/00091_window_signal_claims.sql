-- +goose Up
-- The webhook no longer signals Temporal itself: window_signals is the
-- outbox the workers' relay drains in batches. claimed_until is a relay's
-- lease on a row (several workers drain side by side without signalling a
-- window twice; a lease that runs out, because its worker died, makes the
-- row claimable again).
ALTER TABLE window_signals ADD COLUMN claimed_until TIMESTAMPTZ;
CREATE INDEX window_signals_created_idx ON window_signals (created_at);

-- +goose Down
DROP INDEX window_signals_created_idx;
ALTER TABLE window_signals DROP COLUMN claimed_until;
