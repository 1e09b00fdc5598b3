-- +goose Up
-- Contacts area: tags and last-contacted on contacts, saved segments, and
-- the intake (file import / external API) jobs with their raw rows.
ALTER TABLE contacts
    ADD COLUMN tags              TEXT[]      NOT NULL DEFAULT '{}',
    ADD COLUMN last_contacted_at TIMESTAMPTZ;
CREATE INDEX contacts_tags_idx ON contacts USING GIN (tags);
CREATE INDEX contacts_attributes_idx ON contacts USING GIN (attributes jsonb_path_ops);
CREATE INDEX contacts_owner_idx ON contacts (owner_agent_id);
CREATE INDEX contacts_name_idx ON contacts (lower(name));

CREATE TABLE segments (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT        NOT NULL UNIQUE CHECK (name <> ''),
    filter     JSONB       NOT NULL DEFAULT '{}',
    created_by BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One upload or API batch. idempotency_key is unique per creator so the
-- same batch posted twice creates one job.
CREATE TABLE intake_jobs (
    id              BIGSERIAL PRIMARY KEY,
    source          TEXT        NOT NULL CHECK (source IN ('csv','xlsx','api')),
    file_name       TEXT        NOT NULL DEFAULT '',
    idempotency_key TEXT,
    mapping         JSONB       NOT NULL DEFAULT '{}',
    status          TEXT        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending','running','completed','cancelled','failed')),
    total_rows      INT         NOT NULL DEFAULT 0,
    created_by      BIGINT      NOT NULL,
    error           TEXT        NOT NULL DEFAULT '',
    -- Result counters, advanced in the transaction that stores row results.
    processed       INT         NOT NULL DEFAULT 0,
    created         INT         NOT NULL DEFAULT 0,
    updated         INT         NOT NULL DEFAULT 0,
    duplicate       INT         NOT NULL DEFAULT 0,
    errors          INT         NOT NULL DEFAULT 0,
    case_pending    INT         NOT NULL DEFAULT 0,
    empty           INT         NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ,
    UNIQUE (created_by, idempotency_key)
);

-- Raw rows stored at upload time (the workflow carries only the job id);
-- the result columns are filled by the chunk activity, keyed by (job, row).
CREATE TABLE intake_rows (
    job_id     BIGINT NOT NULL REFERENCES intake_jobs(id) ON DELETE CASCADE,
    row_no     INT    NOT NULL,
    raw        JSONB  NOT NULL,
    result     TEXT   CHECK (result IN ('created','updated','duplicate','error','case_pending','empty')),
    reason     TEXT   NOT NULL DEFAULT '',
    phone_e164 TEXT,
    contact_id BIGINT,
    PRIMARY KEY (job_id, row_no)
);
-- Dedupe against earlier chunks of the same job.
CREATE INDEX intake_rows_phone_idx ON intake_rows (job_id, phone_e164) WHERE phone_e164 IS NOT NULL;

-- +goose Down
DROP TABLE intake_rows;
DROP TABLE intake_jobs;
DROP TABLE segments;
ALTER TABLE contacts DROP COLUMN last_contacted_at, DROP COLUMN tags;
