-- +goose Up
-- Frequency caps may count only some template categories (e.g. MARKETING),
-- and a campaign may leave alone customers an agent is talking to.
ALTER TABLE campaigns ADD COLUMN cap_categories TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN skip_assigned BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN skip_assigned;
ALTER TABLE campaigns DROP COLUMN cap_categories;
