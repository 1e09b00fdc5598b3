package api

import "testing"

func TestResourceID(t *testing.T) {
	t.Parallel()
	for route, want := range map[string]string{
		"/api/v1/conversations/:id/messages": "conversation_id=42",
		"/api/v1/campaigns/:id/launch":       "campaign_id=42",
		"/api/v1/cases/:id":                  "case_id=42",
		"/api/v1/intake/:id/report.csv":      "intake_id=42",
		"/api/v1/senders/:id/allocations":    "sender_id=42",
		"/api/v1/canned-responses/:id":       "",
		"/webhooks/whatsapp":                 "",
	} {
		k, v := resourceID(route, "42")
		got := ""
		if k != "" {
			got = k + "=" + v
		}
		if got != want {
			t.Errorf("%s: %q, want %q", route, got, want)
		}
	}
}
