-- +goose Up
-- Canned responses are personal (only their author sees and uses them),
-- a team's (its members and supervisors), or everyone's. A shortcut is
-- unique within its owner: two agents may each have their own /rek.
ALTER TABLE canned_responses ADD COLUMN personal BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE canned_responses ADD COLUMN team_id BIGINT REFERENCES teams (id) ON DELETE CASCADE;
ALTER TABLE canned_responses DROP CONSTRAINT canned_responses_shortcut_key;
CREATE UNIQUE INDEX canned_responses_shortcut_owner ON canned_responses
    (shortcut, (CASE WHEN personal THEN 'a' || created_by::text WHEN team_id IS NOT NULL THEN 't' || team_id::text ELSE 'g' END));

-- +goose Down
DROP INDEX canned_responses_shortcut_owner;
DELETE FROM canned_responses WHERE personal OR team_id IS NOT NULL;
ALTER TABLE canned_responses ADD CONSTRAINT canned_responses_shortcut_key UNIQUE (shortcut);
ALTER TABLE canned_responses DROP COLUMN team_id;
ALTER TABLE canned_responses DROP COLUMN personal;
