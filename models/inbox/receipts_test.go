package inbox_test

import (
	"context"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

// The customer sees "read" when the agent serving the conversation opens
// it, or when an agent takes it from the queue after looking; an agent
// previewing the queue, or a supervisor looking in, sends nothing.
func TestReadReceiptOnlyFromTheAgentServing(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyManual, 2)
	f.ib.Receipts = inbox.ReceiptPolicy{Read: true}
	ctx := context.Background()
	conv := f.conversation(t, 1)
	f.db.Exec(`UPDATE conversations SET team_id = ? WHERE id = ?`, f.team, conv)
	f.db.Exec(`INSERT INTO messages (conversation_id, direction, type, body, wamid, status) VALUES (?, 'in', 'text', 'halo', 'wamid.R1', 'received')`, conv)
	perms := []models.Permission{models.PermInboxRead, models.PermInboxSend, models.PermInboxTake}
	a0 := models.Principal{AgentID: f.agents[0], Permissions: perms, TeamIDs: []int64{f.team}}
	queued := func() int64 {
		var n int64
		f.db.Raw(`SELECT count(*) FROM read_receipts WHERE conversation_id = ?`, conv).Scan(&n)
		return n
	}
	read := func(p models.Principal) {
		t.Helper()
		if _, _, err := f.ib.Change(ctx, p, conv, inbox.ConversationChange{Action: "read"}); err != nil {
			t.Fatal(err)
		}
	}
	read(a0)
	if n := queued(); n != 0 {
		t.Fatalf("a queue preview queued %d read receipts", n)
	}
	if _, _, err := f.ib.Take(ctx, a0, conv); err != nil {
		t.Fatal(err)
	}
	if n := queued(); n != 1 {
		t.Fatalf("taking queued %d read receipts, want 1", n)
	}
	f.db.Exec(`DELETE FROM read_receipts`)
	f.db.Exec(`UPDATE conversations SET receipted_wamid = NULL WHERE id = ?`, conv)
	admin := models.Principal{AgentID: f.agents[1], Permissions: perms, AllScope: true}
	read(admin)
	if n := queued(); n != 0 {
		t.Fatalf("someone not serving it queued %d read receipts", n)
	}
	read(a0)
	if n := queued(); n != 1 {
		t.Fatalf("the assignee's read queued %d, want 1", n)
	}
}
