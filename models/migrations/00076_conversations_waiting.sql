-- +goose Up
-- The queue the worker re-offers to agents who come online or free
-- capacity: unassigned open conversations of a team, longest waiting first.
CREATE INDEX conversations_waiting ON conversations (team_id, last_inbound_at, id)
    WHERE assignee_agent_id IS NULL AND status IN ('open', 'pending') AND team_id IS NOT NULL;

-- +goose Down
DROP INDEX conversations_waiting;
