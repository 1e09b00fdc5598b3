-- +goose Up
-- TOTP two-factor (RFC 6238). totp_pending_secret holds an enrolment until
-- its first code confirms it; totp_last_step is the 30 s step of the last
-- accepted code, so a code works once (ASVS 2.8.4). Recovery codes are
-- stored as SHA-256 hashes and work once each. A role may require TOTP of
-- its agents (an Admin's setting): until they enrol they can only reach
-- their own profile.
ALTER TABLE agents
    ADD COLUMN totp_secret         TEXT,
    ADD COLUMN totp_pending_secret TEXT,
    ADD COLUMN totp_enabled_at     TIMESTAMPTZ,
    ADD COLUMN totp_last_step      BIGINT NOT NULL DEFAULT 0;
ALTER TABLE roles ADD COLUMN require_totp BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE totp_recovery_codes (
    agent_id  BIGINT      NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    code_hash TEXT        NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (agent_id, code_hash)
);

-- +goose Down
DROP TABLE totp_recovery_codes;
ALTER TABLE roles DROP COLUMN require_totp;
ALTER TABLE agents DROP COLUMN totp_last_step, DROP COLUMN totp_enabled_at, DROP COLUMN totp_pending_secret, DROP COLUMN totp_secret;
