-- +goose Up
-- Journeys (#19): multi-step outreach per customer. A journey has immutable
-- versions (editing a live journey stores a new one; running enrollments
-- finish on theirs), one enrollment per contact while it runs, and per-step
-- funnel counters.
--
-- The funnel is kept like the campaign funnel (00210): the step activity
-- appends +n rows to journey_funnel_delta in the transaction that advances
-- the enrollment, and a read folds them into journey_funnel. An insert
-- locks no shared row, so 100,000 enrollments stepping at once do not queue
-- on one counter row per step.

CREATE TABLE journeys (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT        NOT NULL CHECK (name <> ''),
    status          TEXT        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','live','paused','archived')),
    -- The number the journey's templates go out from (a conversation sticks to it).
    sender_id       BIGINT      REFERENCES senders(id),
    -- models.QuietHours of the journey (empty: OJK's Mon-Sat 08:00-20:00 local).
    quiet_hours     JSONB       NOT NULL DEFAULT '{}',
    current_version INT         NOT NULL DEFAULT 0,
    created_by      BIGINT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE journey_versions (
    journey_id BIGINT      NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version    INT         NOT NULL CHECK (version > 0),
    definition JSONB       NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (journey_id, version)
);

-- +goose StatementBegin
-- A version is what running enrollments execute: changing it under them
-- would change a run midway. Only its journey's deletion removes it.
CREATE FUNCTION journey_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journey version %/% is immutable: store a new version', OLD.journey_id, OLD.version;
END $$;
-- +goose StatementEnd
CREATE TRIGGER journey_versions_immutable BEFORE UPDATE ON journey_versions
    FOR EACH ROW EXECUTE FUNCTION journey_versions_immutable();

CREATE TABLE journey_enrollments (
    id           BIGSERIAL PRIMARY KEY,
    journey_id   BIGINT      NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version      INT         NOT NULL,
    contact_id   BIGINT      NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    status       TEXT        NOT NULL DEFAULT 'running' CHECK (status IN ('running','completed','exited','cancelled')),
    current_step TEXT        NOT NULL DEFAULT '',
    exit_reason  TEXT        NOT NULL DEFAULT '',
    -- seq is the number of step records applied: the activity's record of
    -- step n applies only when seq < n, so a retried activity counts once.
    seq          INT         NOT NULL DEFAULT 0,
    source       TEXT        NOT NULL DEFAULT '', -- segment, list, intake, api
    enrolled_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at     TIMESTAMPTZ,
    FOREIGN KEY (journey_id, version) REFERENCES journey_versions (journey_id, version),
    CHECK ((status = 'running') = (ended_at IS NULL))
);
-- One running enrollment per journey and contact: enrolling again while one
-- runs returns it.
CREATE UNIQUE INDEX journey_enrollments_running ON journey_enrollments (journey_id, contact_id) WHERE status = 'running';
-- A contact's running enrollments (exit on opt-out, case closed).
CREATE INDEX journey_enrollments_contact ON journey_enrollments (contact_id) WHERE status = 'running';
CREATE INDEX journey_enrollments_journey ON journey_enrollments (journey_id, status, id);

-- Per-step counters: counter is entered, sent, replied, branched or exited;
-- detail is the branch's target step or the exit reason ('' otherwise).
CREATE TABLE journey_funnel (
    journey_id BIGINT NOT NULL REFERENCES journeys(id) ON DELETE CASCADE,
    version    INT    NOT NULL,
    step_id    TEXT   NOT NULL,
    counter    TEXT   NOT NULL CHECK (counter IN ('entered','sent','replied','branched','exited')),
    detail     TEXT   NOT NULL DEFAULT '',
    n          BIGINT NOT NULL,
    PRIMARY KEY (journey_id, version, step_id, counter, detail)
);

CREATE TABLE journey_funnel_delta (
    id         BIGSERIAL PRIMARY KEY,
    journey_id BIGINT NOT NULL,
    version    INT    NOT NULL,
    step_id    TEXT   NOT NULL,
    counter    TEXT   NOT NULL CHECK (counter IN ('entered','sent','replied','branched','exited')),
    detail     TEXT   NOT NULL DEFAULT '',
    n          INT    NOT NULL
);
CREATE INDEX journey_funnel_delta_journey ON journey_funnel_delta (journey_id);

-- +goose Down
DROP TABLE journey_funnel_delta, journey_funnel, journey_enrollments;
DROP TRIGGER journey_versions_immutable ON journey_versions;
DROP FUNCTION journey_versions_immutable;
DROP TABLE journey_versions, journeys;
