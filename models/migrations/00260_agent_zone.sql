-- +goose Up
-- The agent's own time zone (#18): an SLA policy may count business hours
-- in the zone of the agent serving the conversation (agents of one team
-- sit in Jakarta, Makassar and Jayapura), falling back to the policy's
-- zone when the conversation is unassigned or its agent has none.
ALTER TABLE agents ADD COLUMN zone TEXT NOT NULL DEFAULT '';
ALTER TABLE sla_policies ADD COLUMN agent_zone BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE sla_policies DROP COLUMN agent_zone;
ALTER TABLE agents DROP COLUMN zone;
