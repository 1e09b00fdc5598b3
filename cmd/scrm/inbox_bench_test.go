package main

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/workflows"
)

// BenchmarkInboxSend measures an agent's send from the API call to the
// simulator's receipt (through the ConversationWorkflow and the send
// activity), and the Temporal cost of inbound messages.
//
//	go test -run '^$' -bench InboxSend -benchtime 200x ./cmd/scrm
func BenchmarkInboxSend(b *testing.B) {
	st := startStack(b, 24*time.Hour)
	seed := st.seedInbox()
	// Ayu's open websocket keeps her online, so routing can assign to her.
	st.connect(seed.ayu)
	waitUntil(b, 5*time.Second, "ayu online", func() bool {
		var p string
		st.db.Gorm.Raw(`SELECT presence FROM agents WHERE id = ?`, seed.ayuID).Scan(&p)
		return p == "online"
	})

	// Temporal cost of inbound messages: 10 customers write 20 messages each.
	const customers, perCustomer = 10, 20
	for c := range customers {
		for m := range perCustomer {
			st.simPost(fmt.Sprintf("/sim/customers/62813%07d/messages", c), map[string]any{"type": "text",
				"text": fmt.Sprintf("pesan %d", m), "phoneNumberId": e2ePNID})
		}
	}
	waitUntil(b, 30*time.Second, "all inbound stored", func() bool {
		var n int64
		st.db.Gorm.Raw(`SELECT count(*) FROM messages WHERE direction = 'in'`).Scan(&n)
		return n == customers*perCustomer
	})
	var convs []struct{ ID, ContactID int64 }
	st.db.Gorm.Raw(`SELECT id, contact_id FROM conversations ORDER BY id`).Scan(&convs)
	waitUntil(b, 30*time.Second, "every conversation routed", func() bool {
		var n int64
		st.db.Gorm.Raw(`SELECT count(*) FROM conversations WHERE assignee_agent_id IS NOT NULL`).Scan(&n)
		return int(n) == len(convs)
	})
	// Signals reaching Temporal per inbound message: one signal-with-start
	// per opened window, none for messages inside an open window.
	signals := 0
	for _, c := range convs {
		iter := st.temporal.GetWorkflowHistory(b.Context(), workflows.ConversationWorkflowID(seed.senderID, c.ContactID), "", false, 0)
		for iter.HasNext() {
			e, err := iter.Next()
			if err != nil {
				b.Fatal(err)
			}
			if e.GetWorkflowExecutionSignaledEventAttributes() != nil {
				signals++
			}
		}
	}
	signalsPerInbound := float64(signals) / float64(customers*perCustomer)
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		var msg models.Message
		// Rotate over the customers: Meta (and the simulator) limit how fast
		// one number may write to the same user (131056).
		conv := convs[i%len(convs)].ID
		if code := st.call("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), seed.ayu,
			map[string]any{"type": "text", "text": fmt.Sprintf("balasan %d", i)}, &msg, "Idempotency-Key", fmt.Sprintf("bench-%d", i)); code != 202 {
			b.Fatalf("send %d: %d", i, code)
		}
		opaque := strconv.FormatInt(msg.ID, 10)
		for {
			found := false
			for _, e := range st.sim.Outbox() {
				if e.BizOpaque == opaque {
					found = true
					break
				}
			}
			if found {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatalf("send %d never reached the simulator", i)
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(signalsPerInbound, "signals/inbound")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
