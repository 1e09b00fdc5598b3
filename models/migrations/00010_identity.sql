-- +goose Up
-- Identity: roles (permission sets), agents, teams, sessions (refresh tokens)
-- and the audit log. The permission catalog itself lives in models/permissions.go;
-- the system role grants below must match models.SystemRoles (a test checks it).

CREATE TABLE roles (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT        NOT NULL,
    -- system_key marks the four built-in roles; they cannot be deleted.
    system_key  TEXT        UNIQUE,
    -- data_scope: all (every record), teams (records of the agent's teams), own (assigned to the agent).
    data_scope  TEXT        NOT NULL DEFAULT 'own' CHECK (data_scope IN ('all', 'teams', 'own')),
    permissions JSONB       NOT NULL DEFAULT '[]',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX roles_name_key ON roles (lower(name));

CREATE TABLE agents (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT        NOT NULL,
    email             TEXT        NOT NULL,
    phone             TEXT        NOT NULL DEFAULT '',
    password_hash     TEXT        NOT NULL,
    role_id           BIGINT      NOT NULL REFERENCES roles (id),
    status            TEXT        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    presence          TEXT        NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'away', 'offline')),
    max_conversations INT         NOT NULL DEFAULT 20 CHECK (max_conversations >= 0),
    max_cases         INT         NOT NULL DEFAULT 20 CHECK (max_cases >= 0),
    -- token_version is bumped on disable and password reset; access tokens
    -- carrying an older version are refused at once.
    token_version     BIGINT      NOT NULL DEFAULT 1,
    last_seen_at      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_email_key ON agents (lower(email));
CREATE INDEX agents_role_idx ON agents (role_id);

CREATE TABLE teams (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT        NOT NULL,
    strategy   TEXT        NOT NULL DEFAULT 'round_robin' CHECK (strategy IN ('round_robin', 'least_loaded', 'manual')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));

CREATE TABLE team_members (
    team_id    BIGINT      NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    agent_id   BIGINT      NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    team_role  TEXT        NOT NULL DEFAULT 'member' CHECK (team_role IN ('lead', 'member')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent_idx ON team_members (agent_id);

-- sessions: one per login. The refresh token is stored only as a SHA-256
-- hash and rotates on every refresh; access tokens name their session, so
-- revoking it ends both at once.
CREATE TABLE sessions (
    id                 BIGSERIAL PRIMARY KEY,
    agent_id           BIGINT      NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    refresh_hash       TEXT        NOT NULL UNIQUE,
    prev_refresh_hash  TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    refreshed_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at         TIMESTAMPTZ NOT NULL,
    revoked_at         TIMESTAMPTZ,
    ip                 TEXT        NOT NULL DEFAULT '',
    user_agent         TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_agent_idx ON sessions (agent_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_prev_hash_idx ON sessions (prev_refresh_hash) WHERE prev_refresh_hash IS NOT NULL;

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id   BIGINT,
    action     TEXT        NOT NULL,
    entity     TEXT        NOT NULL,
    entity_id  BIGINT,
    details    JSONB       NOT NULL DEFAULT '{}',
    ip         TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);

INSERT INTO roles (name, system_key, data_scope, permissions) VALUES
('Admin', 'admin', 'all', '[]'),
('Supervisor', 'supervisor', 'teams', '["agents:read","teams:read","roles:read","contacts:read","contacts:write","contacts:export","cases:read","cases:write","cases:assign","senders:read","templates:read","campaigns:read","inbox:read","inbox:send","inbox:assign","reports:read","profile:read","profile:write"]'),
('Agent', 'agent', 'own', '["agents:read","teams:read","contacts:read","contacts:write","cases:read","cases:write","senders:read","templates:read","inbox:read","inbox:send","profile:read","profile:write"]'),
('Campaign Manager', 'campaign_manager', 'all', '["contacts:read","contacts:write","contacts:import","contacts:export","senders:read","templates:read","templates:write","campaigns:read","campaigns:write","campaigns:launch","reports:read","profile:read","profile:write"]');

-- +goose Down
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE agents;
DROP TABLE roles;
