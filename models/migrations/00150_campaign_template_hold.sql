-- +goose Up
-- A campaign that WhatsApp stopped by pausing or disabling its template is
-- paused with the reason; template_hold_from is the status it resumes to
-- when the template is approved again (NULL: not held, or a person owns the
-- pause). The rule is models/templates/hold.go.
ALTER TABLE campaigns ADD COLUMN template_hold_from TEXT CHECK (template_hold_from IN ('running', 'scheduled'));
CREATE INDEX IF NOT EXISTS campaigns_template_active_idx ON campaigns (template_id)
    WHERE status IN ('running', 'scheduled', 'paused');
-- template_category_update: Meta recategorised the template; the earlier
-- category is kept so the screens can say what changed.
-- An announced change (correct_category + category_update_timestamp) is
-- kept as upcoming until Meta's completed notification moves the category.
ALTER TABLE templates ADD COLUMN previous_category TEXT;
ALTER TABLE templates ADD COLUMN upcoming_category TEXT;
ALTER TABLE templates ADD COLUMN upcoming_category_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE templates DROP COLUMN upcoming_category_at;
ALTER TABLE templates DROP COLUMN upcoming_category;
ALTER TABLE templates DROP COLUMN previous_category;
DROP INDEX IF EXISTS campaigns_template_active_idx;
ALTER TABLE campaigns DROP COLUMN template_hold_from;
