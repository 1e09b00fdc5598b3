package inbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

// Two API keys (and an agent) sending the same Idempotency-Key are three
// requests: each gets its own message, and a replay within one scope still
// returns that scope's first row (issue #20).
func TestIdempotencyKeyIsScopedToTheCaller(t *testing.T) {
	t.Parallel()
	f := newRouteFixture(t, models.StrategyRoundRobin, 1)
	f.ib.Window = 24 * time.Hour
	ctx := context.Background()
	c1 := f.conversation(t, 1)
	req := inbox.OutboundRequest{Type: "text", Text: "Halo Bu"}
	ids := map[int64]bool{}
	for _, p := range []models.Principal{{APIKeyID: 1}, {APIKeyID: 2}, {AgentID: f.agents[0]}} {
		scope := models.IdempotencyScope(p)
		first, err := f.ib.QueueOutboundScoped(ctx, c1, p.AgentID, scope, "same-key", req)
		if err != nil || !first.Created {
			t.Fatalf("%s first: %+v %v", scope, first, err)
		}
		again, err := f.ib.QueueOutboundScoped(ctx, c1, p.AgentID, scope, "same-key", req)
		if err != nil || again.Created || again.Message.ID != first.Message.ID {
			t.Fatalf("%s replay: %+v %v", scope, again, err)
		}
		ids[first.Message.ID] = true
	}
	if len(ids) != 3 {
		t.Fatalf("messages %v, want one per caller", ids)
	}
}
