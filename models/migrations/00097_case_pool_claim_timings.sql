-- +goose Up
-- Agents and supervisors see the pools of their teams and take cases from
-- them (cases:claim; the catalog is models/permissions.go).
UPDATE roles SET permissions = permissions || '["cases:claim"]'::jsonb
    WHERE system_key IN ('agent', 'supervisor') AND NOT permissions ? 'cases:claim';
-- Case timings per team in hours (NULL: the worker's defaults, 7 days and 24 hours).
ALTER TABLE teams ADD COLUMN case_expiry_hours INT CHECK (case_expiry_hours BETWEEN 1 AND 8760);
ALTER TABLE teams ADD COLUMN case_follow_up_hours INT CHECK (case_follow_up_hours BETWEEN 1 AND 720);
-- Case lists search by reference.
CREATE INDEX IF NOT EXISTS cases_reference_lower_idx ON cases (lower(reference) text_pattern_ops);

-- +goose Down
DROP INDEX IF EXISTS cases_reference_lower_idx;
ALTER TABLE teams DROP COLUMN case_follow_up_hours;
ALTER TABLE teams DROP COLUMN case_expiry_hours;
UPDATE roles SET permissions = permissions - 'cases:claim' WHERE system_key IN ('agent', 'supervisor');
