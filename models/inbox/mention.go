package inbox

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// mentionRE finds @mentions in a note: @ then a name written without
// spaces, e.g. @ayu (the part of the agent's email before the @) or
// @AyuLestari (the agent's name without its spaces).
var mentionRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_.@])@([\p{L}\p{N}_.\-]{2,64})`)

// MentionTokens lists the distinct mentions of body, lower-cased.
func MentionTokens(body string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(body, 20) {
		tok := strings.ToLower(strings.TrimRight(m[1], ".-"))
		if tok != "" && !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	return out
}

type mentionResult struct {
	agents []int64
	events []models.Event
}

// mention notifies the agents a note mentions, each by an event only they
// receive. Only an active agent who may read this conversation is notified
// (its role reads the inbox, and its scope holds the conversation: all, its
// team's, its own, or its team's queue when it may take from it), so a
// mention never shows a note to someone the conversation is hidden from.
func (ib ConversationStore) mention(ctx context.Context, tx *gorm.DB, p models.Principal, c models.Conversation, n Note) (mentionResult, error) {
	var res mentionResult
	toks := MentionTokens(n.Body)
	if len(toks) == 0 {
		return res, nil
	}
	err := tx.Raw(`SELECT a.id FROM agents a JOIN roles r ON r.id = a.role_id
		WHERE a.status = 'active' AND a.id <> @me
			AND (lower(split_part(a.email, '@', 1)) IN @toks OR lower(replace(a.name, ' ', '')) IN @toks)
			AND (r.system_key = 'admin' OR r.permissions @> '["inbox:read"]'::jsonb) -- Admin holds every permission
			AND (r.data_scope = 'all' OR a.id = @assignee
				OR (CAST(@team AS BIGINT) IS NOT NULL AND a.id IN (SELECT agent_id FROM team_members WHERE team_id = @team)
					AND (r.data_scope = 'teams' OR (CAST(@assignee AS BIGINT) IS NULL AND r.permissions @> '["inbox:take"]'::jsonb))))
		ORDER BY a.id`,
		map[string]any{"me": p.AgentID, "toks": toks, "assignee": c.AssigneeAgentID, "team": c.TeamID}).Scan(&res.agents).Error
	if err != nil {
		return res, fmt.Errorf("agents mentioned in a note: %w", err)
	}
	for _, id := range res.agents {
		ev, err := models.NewEvent(models.EventConversationUpdated, models.Audience{AgentIDs: []int64{id}},
			map[string]any{"id": c.ID, "change": "mention", "by": p.AgentID, "note": n})
		if err != nil {
			return res, err
		}
		res.events = append(res.events, ev)
	}
	if len(res.events) > 0 {
		if err := ib.Events.AppendAll(ctx, tx, res.events); err != nil {
			return res, err
		}
	}
	return res, nil
}
