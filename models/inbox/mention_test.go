package inbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

func TestMentionTokens(t *testing.T) {
	got := inbox.MentionTokens("Tolong @ayu cek, cc @AyuLestari dan @ayu lagi. email budi@bank.id bukan mention; @x terlalu pendek; (@Dédé)")
	if strings.Join(got, ",") != "ayu,ayulestari,dédé" {
		t.Fatalf("tokens: %v", got)
	}
}

// A note's @mention notifies the mentioned teammate alone (an event with
// only them in its audience); an agent outside the conversation's team, a
// disabled one and the writer are not notified.
func TestNoteMentionNotifiesWhoMaySee(t *testing.T) {
	f := newRouteFixture(t, "manual", 3) // a0 a1 a2 in team T, Agent role (own scope, may take)
	ctx := context.Background()
	conv := f.conversation(t, 1)
	if err := f.db.Exec(`UPDATE conversations SET team_id = ?, assignee_agent_id = ? WHERE id = ?`, f.team, f.agents[0], conv).Error; err != nil {
		t.Fatal(err)
	}
	var outsider, supervisor int64
	f.db.Raw(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Luar', 'luar@x.id', 'x', (SELECT id FROM roles WHERE system_key = 'agent')) RETURNING id`).Scan(&outsider)
	f.db.Raw(`INSERT INTO agents (name, email, password_hash, role_id) VALUES ('Sari Admin', 'sari@x.id', 'x', (SELECT id FROM roles WHERE system_key = 'admin')) RETURNING id`).Scan(&supervisor)
	f.db.Exec(`UPDATE agents SET status = 'disabled' WHERE id = ?`, f.agents[2])
	writer := models.Principal{AgentID: f.agents[0], Permissions: []models.Permission{models.PermInboxRead, models.PermInboxSend}, TeamIDs: []int64{f.team}}
	// a1 is a teammate but the conversation is assigned (own scope: not
	// theirs, not in the queue): not notified. The admin (all scope) is.
	n, evs, err := f.ib.AddNote(ctx, writer, conv, "@a0 @a1 @a2 @luar @SariAdmin tolong dicek")
	if err == nil && (len(evs) != 2 || !slices.Equal(evs[1].Audience.AgentIDs, []int64{supervisor})) {
		t.Fatalf("events of the first note: %+v", evs)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.Mentioned, []int64{supervisor}) {
		t.Fatalf("mentioned %v, want only the admin %d", n.Mentioned, supervisor)
	}
	// Back in the team's queue, the teammate who may take it is notified.
	f.db.Exec(`UPDATE conversations SET assignee_agent_id = NULL WHERE id = ?`, conv)
	admin := models.Principal{AgentID: supervisor, Permissions: []models.Permission{models.PermInboxRead}, AllScope: true}
	n, evs, err = f.ib.AddNote(ctx, admin, conv, "@a1 bisa ambil?")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.Mentioned, []int64{f.agents[1]}) || len(evs) != 2 || !slices.Equal(evs[1].Audience.AgentIDs, []int64{f.agents[1]}) || len(evs[1].Audience.TeamIDs) != 0 {
		t.Fatalf("queue mention: %v, events %+v", n.Mentioned, evs)
	}
	_ = outsider
}

// The tab counts agree with the lists: open and pending conversations of
// each view, within what the principal may see.
func TestViewCounts(t *testing.T) {
	f := newRouteFixture(t, "manual", 2)
	ctx := context.Background()
	set := func(conv int64, assignee any, status string) {
		t.Helper()
		if err := f.db.Exec(`UPDATE conversations SET team_id = ?, assignee_agent_id = ?, status = ? WHERE id = ?`, f.team, assignee, status, conv).Error; err != nil {
			t.Fatal(err)
		}
	}
	conv1 := f.conversation(t, 1)
	set(conv1, f.agents[0], "open")                   // a0's
	set(f.conversation(t, 2), nil, "open")            // the team's queue
	set(f.conversation(t, 3), nil, "resolved")        // done: counted nowhere
	set(f.conversation(t, 4), f.agents[1], "pending") // a1's: not a0's to see
	a0 := models.Principal{AgentID: f.agents[0], Permissions: []models.Permission{models.PermInboxRead, models.PermInboxTake}, TeamIDs: []int64{f.team}}
	got, err := f.ib.Counts(ctx, a0, inbox.InboxFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (inbox.ViewCounts{Mine: 1, Queue: 1, Unassigned: 1, Team: 2, All: 2}); got != want {
		t.Fatalf("a0's counts %+v, want %+v", got, want)
	}
	for view, n := range map[string]int64{"mine": got.Mine, "queue": got.Queue, "unassigned": got.Unassigned, "team": got.Team, "all": got.All} {
		page, err := f.ib.List(ctx, a0, inbox.InboxFilter{View: view})
		if err != nil {
			t.Fatal(err)
		}
		open := int64(0)
		for _, it := range page.Items {
			if it.Status == "open" || it.Status == "pending" {
				open++
			}
		}
		if open != n {
			t.Errorf("view %s lists %d open, counts %d", view, open, n)
		}
	}
	// Filtered by a label (or a number, or the window), the tabs count what
	// the filtered lists show.
	if err := f.db.Exec(`UPDATE conversations SET labels = '{janji-bayar}' WHERE id = ?`, conv1).Error; err != nil {
		t.Fatal(err)
	}
	labelled := inbox.InboxFilter{Label: "janji-bayar"}
	if got, err := f.ib.Counts(ctx, a0, labelled); err != nil || got != (inbox.ViewCounts{Mine: 1, Team: 1, All: 1}) {
		t.Fatalf("a0's counts with a label %+v, %v", got, err)
	}
	if got, _ := f.ib.Counts(ctx, a0, inbox.InboxFilter{SenderID: 987654}); got != (inbox.ViewCounts{}) {
		t.Fatalf("another number's counts %+v", got)
	}
	if _, err := f.ib.Counts(ctx, a0, inbox.InboxFilter{Window: "soon"}); models.CodeOf(err) != models.EInvalid {
		t.Fatalf("a bad window filter: %v", err)
	}
	admin := models.Principal{AgentID: f.agents[1], Permissions: []models.Permission{models.PermInboxRead}, AllScope: true}
	if got, _ := f.ib.Counts(ctx, admin, inbox.InboxFilter{}); got.All != 3 || got.Mine != 1 || got.Unassigned != 1 || got.Queue != 0 {
		t.Fatalf("all-scope counts %+v", got)
	}
}
