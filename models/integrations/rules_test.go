package integrations

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestMap(t *testing.T) {
	ev := func(typ, data string) models.Event {
		return models.Event{ID: 9, Type: typ, Data: json.RawMessage(data)}
	}
	for _, c := range []struct {
		name string
		ev   models.Event
		want []string // type@object
	}{
		{"inbound message", ev(models.EventMessageCreated, `{"id":1,"conversationId":4,"direction":"in"}`), []string{"message.received@conversation:4"}},
		{"outbound message", ev(models.EventMessageCreated, `{"message":{},"conversationId":4}`), nil},
		{"status", ev(models.EventMessageStatus, `{"id":1,"conversationId":4,"status":"read"}`), []string{"message.status@conversation:4"}},
		{"conversation assigned", ev(models.EventConversationUpdated, `{"id":4,"change":"assign","assigneeAgentId":2}`), []string{"conversation.assigned@conversation:4"}},
		{"conversation resolved", ev(models.EventConversationUpdated, `{"id":4,"change":"resolve","status":"resolved"}`), []string{"conversation.resolved@conversation:4"}},
		{"auto-resolved", ev(models.EventConversationUpdated, `{"id":4,"change":"status","status":"resolved"}`), []string{"conversation.resolved@conversation:4"}},
		{"conversation note", ev(models.EventConversationUpdated, `{"id":4,"change":"note"}`), nil},
		{"bulk assignment", ev(models.EventCaseUpdated, `{"ids":[5,6],"change":"auto:round_robin","status":"assigned"}`), []string{"case.assigned@case:5", "case.assigned@case:6"}},
		{"assigned by workflow", ev(models.EventCaseUpdated, `{"id":5,"change":"auto:least_loaded","status":"assigned"}`), []string{"case.assigned@case:5"}},
		{"overdue flag", ev(models.EventCaseUpdated, `{"id":5,"change":"overdue","status":"assigned"}`), nil},
		{"promise", ev(models.EventCaseUpdated, `{"id":5,"change":"outcome:promise_to_pay","status":"in_progress","outcome":"promise_to_pay"}`), []string{"case.promise_to_pay@case:5"}},
		{"other outcome", ev(models.EventCaseUpdated, `{"id":5,"change":"outcome:no_answer","status":"in_progress","outcome":"no_answer"}`), []string{"case.outcome@case:5"}},
		{"closed", ev(models.EventCaseUpdated, `{"id":5,"change":"exit:paid","status":"exited"}`), []string{"case.closed@case:5"}},
		{"back to pool", ev(models.EventCaseUpdated, `{"id":5,"change":"expired","status":"pooled"}`), nil},
		{"campaign running", ev(models.EventCampaignProgress, `{"campaignId":3,"status":"running"}`), nil},
		{"campaign done", ev(models.EventCampaignProgress, `{"campaignId":3,"status":"completed"}`), []string{"campaign.finished@campaign:3"}},
		{"intake progress", ev(models.EventIntakeProgress, `{"jobId":8,"status":"running"}`), nil},
		{"intake done", ev(models.EventIntakeProgress, `{"jobId":8,"status":"completed"}`), []string{"intake.finished@intake_job:8"}},
		{"opt-out", ev(models.EventContactOptOut, `{"contactId":12,"optedOut":true}`), []string{"contact.opt_out@contact:12"}},
		{"presence", ev(models.EventAgentPresence, `{"agentId":1}`), nil},
		{"garbage", ev(models.EventCaseUpdated, `[1,2]`), nil},
	} {
		var got []string
		for _, h := range Map(c.ev) {
			got = append(got, h.Type+"@"+h.ObjectKey())
			if !slices.Contains(HookTypes(), h.Type) {
				t.Errorf("%s: unknown type %s", c.name, h.Type)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
	// The bulk assignment's cases each get their own data id.
	hs := Map(ev(models.EventCaseUpdated, `{"ids":[5,6],"change":"auto:round_robin","status":"assigned"}`))
	if hs[1].Data["id"] != int64(6) || hs[1].Data["ids"] != nil {
		t.Fatalf("bulk data %v", hs[1].Data)
	}
	if EventID(9, 1) != "evt_9_1" {
		t.Fatal(EventID(9, 1))
	}
}

func TestValidateSubscription(t *testing.T) {
	ok := []string{HookCaseClosed}
	for _, c := range []struct {
		url   string
		types []string
		bad   bool
	}{
		{"https://erp.example.com/h", ok, false},
		{"http://127.0.0.1:9000/h", ok, false},
		{"http://localhost/h", ok, false},
		{"http://erp.example.com/h", ok, true},
		{"ftp://erp.example.com/h", ok, true},
		{"/relative", ok, true},
		{"https://erp.example.com/h", nil, true},
		{"https://erp.example.com/h", []string{"case.exploded"}, true},
	} {
		if err := ValidateSubscription(c.url, c.types, false); (err != nil) != c.bad {
			t.Errorf("%s %v: %v", c.url, c.types, err)
		}
	}
}
