-- +goose Up
-- A campaign's audience is a segment and/or an uploaded list (the contacts
-- of an intake job).
ALTER TABLE campaigns ALTER COLUMN segment_id DROP NOT NULL;
ALTER TABLE campaigns ADD COLUMN intake_job_id BIGINT REFERENCES intake_jobs(id);
ALTER TABLE campaigns ADD CONSTRAINT campaigns_audience CHECK (segment_id IS NOT NULL OR intake_job_id IS NOT NULL);
CREATE INDEX intake_rows_contact_idx ON intake_rows (job_id, contact_id) WHERE contact_id IS NOT NULL;

-- +goose Down
DROP INDEX intake_rows_contact_idx;
ALTER TABLE campaigns DROP CONSTRAINT campaigns_audience;
ALTER TABLE campaigns DROP COLUMN intake_job_id;
ALTER TABLE campaigns ALTER COLUMN segment_id SET NOT NULL;
