package templates

import "testing"

func TestHoldFor(t *testing.T) {
	paused := Template{Name: "promo", Language: "id", Status: TplPaused, Reason: "LOW_QUALITY"}
	disabled := Template{Name: "promo", Language: "id", Status: TplDisabled}
	approved := Template{Name: "promo", Language: "id", Status: TplApproved}
	cases := []struct {
		name   string
		status string
		tpl    Template
		store  string
		hold   bool
		reason string
	}{
		{"run on a paused template", "running", paused, "paused", true, "WhatsApp paused template promo (id): LOW_QUALITY; the campaign resumes by itself when the template is approved again"},
		{"schedule on a disabled template", "scheduled", disabled, "paused", true, "WhatsApp disabled template promo (id)"},
		{"run on an approved template", "running", approved, "running", false, ""},
		{"a person's pause is not a hold", "paused", paused, "paused", false, ""},
		{"cancel on a paused template", "cancelled", paused, "cancelled", false, ""},
	}
	for _, c := range cases {
		store, reason, hold := HoldFor(c.status, c.tpl)
		if store != c.store || hold != c.hold || reason != c.reason {
			t.Errorf("%s: got %s %v %q, want %s %v %q", c.name, store, hold, reason, c.store, c.hold, c.reason)
		}
	}
	for s, want := range map[string]bool{"PAUSED": true, "paused": true, "DISABLED": true, "APPROVED": false, "REJECTED": false, "PENDING": false} {
		if Holds(s) != want {
			t.Errorf("Holds(%s) = %v", s, !want)
		}
	}
}
