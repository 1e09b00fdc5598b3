package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wabascrm/scrm/workflows"
)

// A snoozed conversation wakes at its time (#16), through the whole stack:
// the ConversationWorkflow holds a durable timer to the snooze's end, both
// while the window's run is going and when no run is (the snooze starts
// one). The second run's history is recorded for the replay tests
// (conversation_v2.json, with SCRM_UPDATE_HISTORIES=1).
func TestSnoozeWakesAtItsTime(t *testing.T) {
	t.Parallel()
	const window = 8 * time.Second
	st := startStack(t, window)
	seed := st.seedInbox()
	db := st.db.Gorm
	ctx := context.Background()

	st.simPost("/sim/customers/"+e2eCustomer+"/messages", map[string]any{"type": "text", "text": "Tolong hubungi saya besok", "name": "Siti", "phoneNumberId": e2ePNID})
	var conv struct {
		ID     int64
		TeamID *int64
	}
	waitUntil(t, 20*time.Second, "the conversation routed", func() bool {
		db.Raw(`SELECT id, team_id FROM conversations LIMIT 1`).Scan(&conv)
		return conv.ID != 0 && conv.TeamID != nil
	})
	status := func() (string, *time.Time) {
		var row struct {
			Status       string
			SnoozedUntil *time.Time
		}
		db.Raw(`SELECT status, snoozed_until FROM conversations WHERE id = ?`, conv.ID).Scan(&row)
		return row.Status, row.SnoozedUntil
	}
	snooze := func(d time.Duration) time.Time {
		until := time.Now().Add(d).UTC()
		if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/snooze", conv.ID), seed.admin, map[string]any{"until": until.Format(time.RFC3339Nano)}, nil); code != 200 {
			t.Fatalf("snooze: %d", code)
		}
		if s, _ := status(); s != "snoozed" {
			t.Fatalf("after snooze: %s", s)
		}
		return until
	}
	wake := func(until time.Time, what string) {
		waitUntil(t, 15*time.Second, what, func() bool {
			s, u := status()
			return s == "open" && u == nil
		})
		if early := time.Until(until); early > 200*time.Millisecond {
			t.Fatalf("%s %v before its time", what, early)
		}
		t.Logf("%s %v after its time", what, -time.Until(until).Round(time.Millisecond))
	}

	// 1. While the window's run is going.
	wake(snooze(2*time.Second), "woken during the window")

	// 2. After the window closed the run ended; a snooze starts a new one.
	wf := workflows.ConversationWorkflowID(seed.senderID, contactOf(t, st, conv.ID))
	waitUntil(t, window+15*time.Second, "the window's run ended", func() bool {
		d, err := st.temporal.DescribeWorkflowExecution(ctx, wf, "")
		return err == nil && d.WorkflowExecutionInfo.GetCloseTime() != nil
	})
	wake(snooze(2*time.Second), "woken with no window")
	if err := st.temporal.GetWorkflow(ctx, wf, "").Get(ctx, nil); err != nil {
		t.Fatalf("the snooze's run: %v", err)
	}
	saveHistory(t, st, wf, "conversation_v2.json")
}
