package inbox_test

import (
	"context"
	"testing"

	"github.com/wabascrm/scrm/models"
)

// The re-offer queue: unassigned open conversations of a routing team with
// someone online, longest waiting first; nothing while the team is offline,
// nothing of a manual pool, nothing assigned, resolved or snoozed.
func TestWaitingQueue(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyRoundRobin, 1)
	ctx := context.Background()
	ids := []int64{f.conversation(t, 1), f.conversation(t, 2), f.conversation(t, 3), f.conversation(t, 4), f.conversation(t, 5)}
	// Waiting since 30, 10, 20 minutes; one assigned; one resolved.
	f.db.Exec(`UPDATE conversations SET team_id = ?, last_inbound_at = now() - interval '30 minutes' WHERE id = ?`, f.team, ids[0])
	f.db.Exec(`UPDATE conversations SET team_id = ?, last_inbound_at = now() - interval '10 minutes' WHERE id = ?`, f.team, ids[1])
	f.db.Exec(`UPDATE conversations SET team_id = ?, last_inbound_at = now() - interval '20 minutes' WHERE id = ?`, f.team, ids[2])
	f.db.Exec(`UPDATE conversations SET team_id = ?, assignee_agent_id = ? WHERE id = ?`, f.team, f.agents[0], ids[3])
	f.db.Exec(`UPDATE conversations SET team_id = ?, status = 'resolved' WHERE id = ?`, f.team, ids[4])
	got := func() []int64 {
		t.Helper()
		w, err := f.ib.Waiting(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, c := range w {
			if c.TeamID != f.team {
				t.Fatalf("team %d", c.TeamID)
			}
			out = append(out, c.ID)
		}
		return out
	}
	if w := got(); len(w) != 3 || w[0] != ids[0] || w[1] != ids[2] || w[2] != ids[1] {
		t.Fatalf("queue %v, want %v", w, []int64{ids[0], ids[2], ids[1]})
	}
	f.db.Exec(`UPDATE agents SET presence = 'offline'`)
	if w := got(); len(w) != 0 {
		t.Fatalf("offered with nobody online: %v", w)
	}
	f.db.Exec(`UPDATE agents SET presence = 'online'`)
	f.db.Exec(`UPDATE teams SET strategy = 'manual'`)
	if w := got(); len(w) != 0 {
		t.Fatalf("a manual pool re-offered: %v", w)
	}
	// Routing takes the longest waiting one.
	f.db.Exec(`UPDATE teams SET strategy = 'round_robin'`)
	r, err := f.ib.Route(ctx, got()[0])
	if err != nil || r.AgentID != f.agents[0] {
		t.Fatalf("route: %+v %v", r, err)
	}
	if w := got(); len(w) != 2 || w[0] != ids[2] {
		t.Fatalf("after routing: %v", w)
	}
}
