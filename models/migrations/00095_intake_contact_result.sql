-- +goose Up
-- A row's contact outcome is kept beside its final result, so the job's
-- "created"/"updated" counters count contacts for case rows too (a case row
-- creates or updates its contact and then becomes case_created or an error),
-- and the per-row report shows both. The dedupe key says what makes two rows
-- of a job the same: the case reference for case rows (one debtor may have
-- several loans, so several case rows on one phone), the phone otherwise.
ALTER TABLE intake_rows ADD COLUMN contact_result TEXT CHECK (contact_result IN ('created','updated'));
ALTER TABLE intake_rows ADD COLUMN dedupe_key TEXT;
CREATE INDEX intake_rows_dedupe_idx ON intake_rows (job_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
-- Existing rows: contact-only rows were deduped by phone.
UPDATE intake_rows SET contact_result = result WHERE result IN ('created','updated');
UPDATE intake_rows SET dedupe_key = 'phone:' || phone_e164
    WHERE phone_e164 IS NOT NULL AND result IN ('created','updated','case_pending','case_created');
-- The "sheet" of an XLSX upload is part of its mapping (JSONB); nothing to add.

-- +goose Down
DROP INDEX intake_rows_dedupe_idx;
ALTER TABLE intake_rows DROP COLUMN dedupe_key;
ALTER TABLE intake_rows DROP COLUMN contact_result;
