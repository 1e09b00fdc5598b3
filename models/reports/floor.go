package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
)

// The live floor: what a supervisor runs the shift from. It reads the
// current state (conversations, agents), not the rollups: a few indexed
// rows per team, fetched again whenever an event of its teams arrives.

// FloorLimit is the most waiting conversations the floor lists.
const FloorLimit = 200

// Floor is the state of the teams p supervises, now.
type Floor struct {
	Now     time.Time      `json:"now"`
	Teams   []FloorTeam    `json:"teams"`
	Waiting []FloorWaiting `json:"waiting"`
	// More is true when more than FloorLimit conversations wait.
	More bool `json:"more"`
}

// FloorTeam is one team: how many customers wait, since when the longest
// one has, and its active members with their load against capacity.
type FloorTeam struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Waiting      int64      `json:"waiting"`
	Unassigned   int64      `json:"unassigned"`
	LongestSince *time.Time `json:"longestSince"`
	// Waiting customers past their SLA target now, and near it.
	Breached int64        `json:"slaBreached"`
	Near     int64        `json:"slaNear"`
	Agents   []FloorAgent `json:"agents" gorm:"-"`
}

// FloorAgent is a member's presence and open load (open and pending
// conversations assigned to it, as routing counts) against its capacity.
type FloorAgent struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Presence string `json:"presence"`
	Load     int64  `json:"load"`
	Capacity int64  `json:"capacity"`
}

// FloorWaiting is a customer waiting for the business: in the queue
// (no assignee) or assigned and not answered yet since writing.
type FloorWaiting struct {
	ConversationID int64     `json:"conversationId"`
	TeamID         int64     `json:"teamId"`
	AssigneeID     *int64    `json:"assigneeAgentId"`
	AssigneeName   *string   `json:"assigneeName"`
	AssigneeZone   string    `json:"assigneeZone"` // "" when unassigned or the agent has no zone of her own
	Customer       string    `json:"customer"`
	Preview        string    `json:"preview"`
	Since          time.Time `json:"since"`
	// The wait against the team's SLA (models/sla): kind first|next, when
	// it nears and breaches the target (nil: no target), and since when
	// it is breached.
	SLAKind       *string    `json:"slaKind" gorm:"column:sla_kind"`
	SLANearAt     *time.Time `json:"slaNearAt" gorm:"column:sla_near_at"`
	SLADueAt      *time.Time `json:"slaDueAt" gorm:"column:sla_due_at"`
	SLABreachedAt *time.Time `json:"slaBreachedAt" gorm:"column:sla_breached_at"`
}

// waitingSQL selects the conversations whose customer waits: open or
// pending, and either unassigned or not answered since the customer wrote
// (rpt_wait_since, the first response, kept by the reports trigger of
// migration 00110; sla_wait_since, first or next, by migration 00230).
const waitingSQL = `c.team_id = ANY(@teams) AND c.status IN ('open','pending')
	AND (c.assignee_agent_id IS NULL OR (c.rpt_wait_since IS NOT NULL AND NOT c.rpt_responded) OR c.sla_wait_since IS NOT NULL)`

const waitingSince = `COALESCE(c.sla_wait_since, c.rpt_wait_since, c.last_inbound_at, c.created_at)`

// Floor reads the floor of the teams p supervises (every team for an
// all-scope principal). A principal supervising no team gets an empty floor.
func (s ReportStore) Floor(ctx context.Context, p models.Principal) (Floor, error) {
	// The route asks for inbox:assign; the floor also names customers and
	// what they wrote, which only inbox readers see (a custom role may
	// assign without reading).
	if !p.Can(models.PermInboxRead) {
		return Floor{}, models.Errorf(models.EForbidden, "permission %s required", models.PermInboxRead)
	}
	f := Floor{Now: s.now(), Teams: []FloorTeam{}, Waiting: []FloorWaiting{}}
	db := s.DB.WithContext(ctx)
	q := db.Table("teams").Select("id, name").Order("name, id")
	if !p.AllScope {
		if len(p.SupervisedTeamIDs) == 0 {
			return f, nil
		}
		q = q.Where("id IN ?", p.SupervisedTeamIDs)
	}
	if err := q.Scan(&f.Teams).Error; err != nil {
		return f, fmt.Errorf("floor teams: %w", err)
	}
	if len(f.Teams) == 0 {
		return f, nil
	}
	ids := make([]int64, len(f.Teams))
	byID := map[int64]*FloorTeam{}
	for i := range f.Teams {
		ids[i] = f.Teams[i].ID
		f.Teams[i].Agents = []FloorAgent{}
		byID[f.Teams[i].ID] = &f.Teams[i]
	}
	args := map[string]any{"teams": models.Int64List(ids), "limit": FloorLimit + 1}
	var counts []struct {
		TeamID     int64
		Waiting    int64
		Unassigned int64
		Longest    *time.Time
		Breached   int64
		Near       int64
	}
	if err := db.Raw(`SELECT c.team_id, count(*) AS waiting, count(*) FILTER (WHERE c.assignee_agent_id IS NULL) AS unassigned,
			min(`+waitingSince+`) AS longest, count(*) FILTER (WHERE c.sla_breached_at IS NOT NULL) AS breached,
			count(*) FILTER (WHERE c.sla_near_sent AND c.sla_breached_at IS NULL) AS near
		FROM conversations c WHERE `+waitingSQL+` GROUP BY c.team_id`, args).Scan(&counts).Error; err != nil {
		return f, fmt.Errorf("floor waiting counts: %w", err)
	}
	for _, c := range counts {
		t := byID[c.TeamID]
		t.Waiting, t.Unassigned, t.LongestSince, t.Breached, t.Near = c.Waiting, c.Unassigned, c.Longest, c.Breached, c.Near
	}
	var agents []struct {
		TeamID int64
		FloorAgent
	}
	if err := db.Raw(`SELECT tm.team_id, a.id, a.name, a.presence, a.max_conversations AS capacity,
			`+models.AgentConvLoadSQL("a.id")+` AS load
		FROM team_members tm JOIN agents a ON a.id = tm.agent_id
		WHERE tm.team_id = ANY(@teams) AND a.status = 'active'
		ORDER BY tm.team_id, a.name, a.id`, args).Scan(&agents).Error; err != nil {
		return f, fmt.Errorf("floor agents: %w", err)
	}
	for _, a := range agents {
		t := byID[a.TeamID]
		t.Agents = append(t.Agents, a.FloorAgent)
	}
	if err := db.Raw(`SELECT c.id AS conversation_id, c.team_id, c.assignee_agent_id AS assignee_id, a.name AS assignee_name,
			COALESCE(a.zone, '') AS assignee_zone, COALESCE(NULLIF(k.name, ''), k.phone_e164, k.wa_id, '') AS customer, COALESCE(c.last_preview, '') AS preview,
			`+waitingSince+` AS since, c.sla_kind, c.sla_near_at, c.sla_due_at, c.sla_breached_at
		FROM conversations c JOIN contacts k ON k.id = c.contact_id LEFT JOIN agents a ON a.id = c.assignee_agent_id
		WHERE `+waitingSQL+`
		ORDER BY since, c.id LIMIT @limit`, args).Scan(&f.Waiting).Error; err != nil {
		return f, fmt.Errorf("floor waiting: %w", err)
	}
	if len(f.Waiting) > FloorLimit {
		f.Waiting, f.More = f.Waiting[:FloorLimit], true
	}
	return f, nil
}
