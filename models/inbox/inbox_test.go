package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
	"github.com/wabascrm/scrm/worker/testenv"
)

// routeFixture builds a sender, a team with the given strategy and agents
// (id order = creation order), and n conversations on that sender.
type routeFixture struct {
	db     *gorm.DB
	ib     inbox.ConversationStore
	team   int64
	sender int64
	agents []int64
}

func newRouteFixture(t *testing.T, strategy string, agents int) *routeFixture {
	t.Helper()
	db := testenv.NewDB(t).Gorm
	f := &routeFixture{db: db, ib: inbox.ConversationStore{DB: db, Events: models.EventStore{DB: db}}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var role int64
	must(db.Raw(`SELECT id FROM roles WHERE system_key = 'agent'`).Scan(&role).Error)
	must(db.Raw(`INSERT INTO teams (name, strategy) VALUES ('T', ?) RETURNING id`, strategy).Scan(&f.team).Error)
	for i := range agents {
		var id int64
		must(db.Raw(`INSERT INTO agents (name, email, password_hash, role_id, presence, max_conversations)
			VALUES (?, ?, 'x', ?, 'online', 1000) RETURNING id`, fmt.Sprint("A", i), fmt.Sprintf("a%d@x.id", i), role).Scan(&id).Error)
		must(db.Exec(`INSERT INTO team_members (team_id, agent_id) VALUES (?, ?)`, f.team, id).Error)
		f.agents = append(f.agents, id)
	}
	must(db.Raw(`INSERT INTO senders (phone_number_id) VALUES ('PN-R') RETURNING id`).Scan(&f.sender).Error)
	must(db.Exec(`INSERT INTO sender_allocations (sender_id, team_id, role) VALUES (?, ?, 'primary')`, f.sender, f.team).Error)
	return f
}

func (f *routeFixture) conversation(t *testing.T, n int) int64 {
	t.Helper()
	var contact, conv int64
	if err := f.db.Raw(`INSERT INTO contacts (phone_e164, wa_id) VALUES (?, ?) RETURNING id`, fmt.Sprintf("+62812%07d", n), fmt.Sprintf("62812%07d", n)).Scan(&contact).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Raw(`INSERT INTO conversations (sender_id, contact_id, last_inbound_at) VALUES (?, ?, now()) RETURNING id`, f.sender, contact).Scan(&conv).Error; err != nil {
		t.Fatal(err)
	}
	return conv
}

func TestRouteRoundRobinIsFairAndSkipsOfflineDisabledAndFull(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyRoundRobin, 6)
	ctx := context.Background()
	// agent 4 offline, agent 5 disabled: never chosen.
	f.db.Exec(`UPDATE agents SET presence = 'offline' WHERE id = ?`, f.agents[4])
	f.db.Exec(`UPDATE agents SET status = 'disabled' WHERE id = ?`, f.agents[5])
	counts := map[int64]int{}
	for i := range 40 {
		r, err := f.ib.Route(ctx, f.conversation(t, i))
		if err != nil {
			t.Fatal(err)
		}
		if r.TeamID != f.team || r.Strategy != models.StrategyRoundRobin || len(r.Events) != 2 || r.Events[1].Type != models.EventMessageCreated { // the change and its thread line
			t.Fatalf("route %+v", r)
		}
		counts[r.AgentID]++
	}
	for _, a := range f.agents[:4] {
		if counts[a] != 10 {
			t.Fatalf("round robin uneven: %v", counts)
		}
	}
	// A full agent (capacity reached) is skipped too.
	f.db.Exec(`UPDATE agents SET max_conversations = 10 WHERE id = ?`, f.agents[0])
	r, _ := f.ib.Route(ctx, f.conversation(t, 100))
	if r.AgentID == f.agents[0] {
		t.Fatal("agent at capacity got a conversation")
	}
	// Routing an assigned conversation again changes nothing.
	again, err := f.ib.Route(ctx, 1)
	if err != nil || again.Reason != "already assigned" {
		t.Fatalf("second route: %+v %v", again, err)
	}
}

func TestRouteLeastLoaded(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyLeastLoaded, 3)
	ctx := context.Background()
	// agent 0 already has 2 open conversations, agent 1 has 1.
	for i, a := range []int64{f.agents[0], f.agents[0], f.agents[1]} {
		c := f.conversation(t, 200+i)
		f.db.Exec(`UPDATE conversations SET assignee_agent_id = ? WHERE id = ?`, a, c)
	}
	var got []int64
	for i := range 3 {
		r, err := f.ib.Route(ctx, f.conversation(t, i))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.AgentID)
	}
	// loads 2,1,0 -> agent2; then 2,1,1 (tie, lowest id) -> agent1; then 2,2,1 -> agent2
	want := []int64{f.agents[2], f.agents[1], f.agents[2]}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("least loaded picked %v, want %v", got, want)
		}
	}
}

func TestRouteManualTeamLeavesItInTheQueueAndOwnerWins(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyManual, 2)
	ctx := context.Background()
	c := f.conversation(t, 1)
	r, err := f.ib.Route(ctx, c)
	if err != nil || r.AgentID != 0 || r.TeamID != f.team || r.Strategy != models.StrategyManual {
		t.Fatalf("manual: %+v %v", r, err)
	}
	var team *int64
	f.db.Raw(`SELECT team_id FROM conversations WHERE id = ?`, c).Scan(&team)
	if team == nil || *team != f.team {
		t.Fatal("manual conversation must wait in the team queue")
	}
	// The contact's owner gets it, whatever the strategy.
	c2 := f.conversation(t, 2)
	f.db.Exec(`UPDATE contacts SET owner_agent_id = ? WHERE id = (SELECT contact_id FROM conversations WHERE id = ?)`, f.agents[1], c2)
	r, err = f.ib.Route(ctx, c2)
	if err != nil || r.AgentID != f.agents[1] || r.Strategy != "owner" {
		t.Fatalf("owner: %+v %v", r, err)
	}
}

func TestResolveIfIdleAndWindowEvent(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyRoundRobin, 1)
	ctx := context.Background()
	c := f.conversation(t, 1)
	f.db.Exec(`UPDATE conversations SET last_message_at = now() - interval '3 hours' WHERE id = ?`, c)
	if ok, _, err := f.ib.ResolveIfIdle(ctx, c, 4*time.Hour); err != nil || ok {
		t.Fatalf("not idle long enough: %v %v", ok, err)
	}
	ok, evs, err := f.ib.ResolveIfIdle(ctx, c, 2*time.Hour)
	if err != nil || !ok || len(evs) != 1 {
		t.Fatalf("resolve: %v %v %v", ok, evs, err)
	}
	if ok, _, _ := f.ib.ResolveIfIdle(ctx, c, 2*time.Hour); ok {
		t.Fatal("resolving twice must change nothing")
	}
	ev, err := f.ib.WindowEvent(ctx, c, "closing", time.Now())
	if err != nil || ev.ID == 0 || ev.Type != models.EventConversationUpdated {
		t.Fatalf("window event %+v %v", ev, err)
	}
}

// An Idempotency-Key replayed with the same request returns the first row;
// with another text, or for another conversation, it is refused (422), never
// answered with the first message.
func TestQueueOutboundIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyRoundRobin, 1)
	f.ib.Window = 24 * time.Hour
	ctx := context.Background()
	c1, c2 := f.conversation(t, 1), f.conversation(t, 2)
	first, err := f.ib.QueueOutbound(ctx, c1, f.agents[0], "k-1", inbox.OutboundRequest{Type: "text", Text: "Halo Bu"})
	if err != nil || !first.Created {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := f.ib.QueueOutbound(ctx, c1, f.agents[0], "k-1", inbox.OutboundRequest{Type: "text", Text: "Halo Bu"})
	if err != nil || again.Created || again.Message.ID != first.Message.ID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	for name, try := range map[string]func() error{
		"other text": func() error {
			_, err := f.ib.QueueOutbound(ctx, c1, f.agents[0], "k-1", inbox.OutboundRequest{Type: "text", Text: "Halo Pak"})
			return err
		},
		"other conversation": func() error {
			_, err := f.ib.QueueOutbound(ctx, c2, f.agents[0], "k-1", inbox.OutboundRequest{Type: "text", Text: "Halo Bu"})
			return err
		},
	} {
		var me *models.Error
		if err := try(); models.CodeOf(err) != models.EUnprocessable || !errors.As(err, &me) || me.Field != "Idempotency-Key" {
			t.Errorf("%s: %v", name, err)
		}
	}
	var n int64
	f.db.Raw(`SELECT count(*) FROM messages`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
}
