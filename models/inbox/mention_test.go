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
