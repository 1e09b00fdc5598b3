-- +goose Up
-- Intake rows with case fields become cases (second phase of the import).
ALTER TABLE intake_jobs ADD COLUMN cases_created INT NOT NULL DEFAULT 0;
ALTER TABLE intake_rows DROP CONSTRAINT intake_rows_result_check;
ALTER TABLE intake_rows ADD CONSTRAINT intake_rows_result_check
    CHECK (result IN ('created','updated','duplicate','error','case_pending','case_created','empty'));

-- +goose Down
ALTER TABLE intake_rows DROP CONSTRAINT intake_rows_result_check;
ALTER TABLE intake_rows ADD CONSTRAINT intake_rows_result_check
    CHECK (result IN ('created','updated','duplicate','error','case_pending','empty'));
ALTER TABLE intake_jobs DROP COLUMN cases_created;
