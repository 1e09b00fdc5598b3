-- +goose Up
-- The segment filter a campaign was launched with: the campaign pages its
-- audience from this frozen copy, so editing (or emptying) the segment
-- afterwards cannot change whom a scheduled or running campaign messages.
-- NULL until launch (a draft follows its segment).
ALTER TABLE campaigns ADD COLUMN audience_filter JSONB;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN audience_filter;
