-- +goose Up
-- Agents and supervisors see their teams' queue (unassigned conversations),
-- take from it and hand their conversations to a teammate or back
-- (inbox:take; the catalog is models/permissions.go).
UPDATE roles SET permissions = permissions || '["inbox:take"]'::jsonb
    WHERE system_key IN ('agent', 'supervisor') AND NOT permissions ? 'inbox:take';
-- Assignment changes are lines in the thread: direction 'note' (never sent,
-- never the customer: no query on 'in' or 'out' counts them).
ALTER TABLE messages DROP CONSTRAINT messages_direction_check;
ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('in', 'out', 'note'));

-- +goose Down
DELETE FROM messages WHERE direction = 'note';
ALTER TABLE messages DROP CONSTRAINT messages_direction_check;
ALTER TABLE messages ADD CONSTRAINT messages_direction_check CHECK (direction IN ('in', 'out'));
UPDATE roles SET permissions = permissions - 'inbox:take' WHERE system_key IN ('agent', 'supervisor');
