-- +goose Up
-- Failed logins, counted in PostgreSQL so every api replica shares them
-- (an in-process limiter gave N replicas N times the guesses). One row per
-- key: "acct-ip:<email>|<ip>" throttles guessing one account from one
-- address (the real user elsewhere is not locked out) and "ip:<ip>" one
-- address spraying many accounts. blocked_until grows with the failures
-- (progressive delay); a row is forgotten once quiet for its window.
CREATE TABLE login_throttle (
    key           TEXT        PRIMARY KEY,
    failures      INT         NOT NULL DEFAULT 0,
    last_failure  TIMESTAMPTZ NOT NULL DEFAULT now(),
    blocked_until TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure);

-- Sessions end when their refresh token goes unused for the idle timeout:
-- refreshed_at (set at login and every refresh) already says when.
CREATE INDEX sessions_agent_open ON sessions (agent_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX sessions_agent_open;
DROP TABLE login_throttle;
