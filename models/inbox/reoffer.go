package inbox

import (
	"context"
	"fmt"
)

// WaitingConversation is an unassigned open conversation of a team.
type WaitingConversation struct {
	ID     int64
	TeamID int64
}

// Waiting lists unassigned open conversations of teams that route by
// strategy (not manual pools) and have someone online now, longest waiting
// first: routing ran once when each arrived and found nobody; these are
// offered again (Route) whenever an agent comes online or frees capacity.
func (ib ConversationStore) Waiting(ctx context.Context, limit int) ([]WaitingConversation, error) {
	var out []WaitingConversation
	err := ib.DB.WithContext(ctx).Raw(`SELECT c.id, c.team_id FROM conversations c JOIN teams t ON t.id = c.team_id
		WHERE c.assignee_agent_id IS NULL AND c.status IN ('open', 'pending') AND c.team_id IS NOT NULL
		  AND t.strategy <> 'manual'
		  AND EXISTS (SELECT 1 FROM team_members m JOIN agents a ON a.id = m.agent_id
		              WHERE m.team_id = c.team_id AND a.status = 'active' AND a.presence = 'online')
		ORDER BY c.last_inbound_at NULLS LAST, c.id LIMIT ?`, limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("waiting conversations: %w", err)
	}
	return out, nil
}
