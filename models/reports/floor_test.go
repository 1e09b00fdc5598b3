package reports_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/reports"
	"github.com/wabascrm/scrm/worker/testenv"
)

// The floor of a supervisor: her team's waiting customers (queued, and
// assigned but unanswered since writing; not answered, resolved or another
// team's), the longest wait, and each member's presence and load.
func TestFloor(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	f := fx{T: t, DB: db}
	ctx := context.Background()
	role := f.ID(`SELECT id FROM roles WHERE system_key = 'agent'`)
	t1 := f.ID(`INSERT INTO teams (name, strategy) VALUES ('Penagihan', 'manual') RETURNING id`)
	t2 := f.ID(`INSERT INTO teams (name, strategy) VALUES ('Lain', 'manual') RETURNING id`)
	agent := func(name, presence string, team int64) int64 {
		id := f.ID(`INSERT INTO agents (name, email, password_hash, role_id, presence, max_conversations) VALUES (?, ?, 'x', ?, ?, 3) RETURNING id`,
			name, name+"@x.id", role, presence)
		f.Exec(`INSERT INTO team_members (team_id, agent_id) VALUES (?, ?)`, team, id)
		return id
	}
	ayu, budi := agent("Ayu", "online", t1), agent("Budi", "away", t1)
	agent("Citra", "online", t2)
	s := f.ID(`INSERT INTO senders (phone_number_id) VALUES ('PNF') RETURNING id`)
	now := time.Now()
	n := 0
	conv := func(team int64, assignee any, status string, waitedMin int) int64 {
		n++
		k := f.ID(`INSERT INTO contacts (phone_e164, name) VALUES (?, ?) RETURNING id`, fmt.Sprintf("+6281300000%03d", n), fmt.Sprintf("Pelanggan %d", n))
		c := f.ID(`INSERT INTO conversations (sender_id, contact_id, team_id, assignee_agent_id, status, last_inbound_at, last_preview) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			s, k, team, assignee, status, now.Add(-time.Duration(waitedMin)*time.Minute), fmt.Sprintf("pesan %d", n))
		return c
	}
	queued := conv(t1, nil, "open", 30)     // in the queue 30 min
	unanswered := conv(t1, ayu, "open", 10) // Ayu's, customer waiting 10 min
	f.Exec(`UPDATE conversations SET rpt_wait_since = now() - interval '10 minutes', rpt_responded = false WHERE id = ?`, unanswered)
	answered := conv(t1, ayu, "open", 5) // Ayu answered
	f.Exec(`UPDATE conversations SET rpt_wait_since = NULL, rpt_responded = true WHERE id = ?`, answered)
	conv(t1, nil, "resolved", 60) // done
	conv(t2, nil, "open", 90)     // another team's
	conv(t1, budi, "pending", 0)

	read := []models.Permission{models.PermInboxRead, models.PermInboxAssign}
	sup := models.Principal{AgentID: budi, Permissions: read, SupervisedTeamIDs: []int64{t1}, DataScope: models.ScopeTeams}
	fl, err := reports.ReportStore{DB: db}.Floor(ctx, sup)
	if err != nil {
		t.Fatal(err)
	}
	if len(fl.Teams) != 1 || fl.Teams[0].ID != t1 || fl.Teams[0].Waiting != 2 || fl.Teams[0].Unassigned != 1 {
		t.Fatalf("teams: %+v", fl.Teams)
	}
	if l := fl.Teams[0].LongestSince; l == nil || now.Sub(*l) < 29*time.Minute || now.Sub(*l) > 31*time.Minute {
		t.Fatalf("longest wait since %v, want 30 min ago", l)
	}
	if len(fl.Waiting) != 2 || fl.Waiting[0].ConversationID != queued || fl.Waiting[1].ConversationID != unanswered ||
		fl.Waiting[1].AssigneeName == nil || *fl.Waiting[1].AssigneeName != "Ayu" || fl.Waiting[0].Customer != "Pelanggan 1" {
		t.Fatalf("waiting: %+v", fl.Waiting)
	}
	got := map[string]reports.FloorAgent{}
	for _, a := range fl.Teams[0].Agents {
		got[a.Name] = a
	}
	if len(got) != 2 || got["Ayu"].Load != 2 || got["Ayu"].Presence != "online" || got["Budi"].Load != 1 || got["Budi"].Presence != "away" || got["Ayu"].Capacity != 3 {
		t.Fatalf("agents: %+v", fl.Teams[0].Agents)
	}
	// Someone who supervises no team sees an empty floor; an admin sees both.
	if fl, err := (reports.ReportStore{DB: db}).Floor(ctx, models.Principal{AgentID: ayu, Permissions: read, TeamIDs: []int64{t1}}); err != nil || len(fl.Teams) != 0 || len(fl.Waiting) != 0 {
		t.Fatalf("an agent's floor: %+v, %v", fl, err)
	}
	if fl, err := (reports.ReportStore{DB: db}).Floor(ctx, models.Principal{AllScope: true, Permissions: read}); err != nil || len(fl.Teams) != 2 || len(fl.Waiting) != 3 {
		t.Fatalf("the admin's floor: %+v, %v", fl, err)
	}
	// Assigning without reading the inbox (a custom role): the floor names
	// customers, so it is refused.
	if _, err := (reports.ReportStore{DB: db}).Floor(ctx, models.Principal{AllScope: true, Permissions: []models.Permission{models.PermInboxAssign}}); models.CodeOf(err) != models.EForbidden {
		t.Fatalf("assign without inbox:read: %v, want forbidden", err)
	}
}
