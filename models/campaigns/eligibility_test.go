package campaigns

import (
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestEligibilitySkipReason(t *testing.T) {
	cases := []struct {
		e    Eligibility
		want string
	}{
		{Eligibility{Reachable: true}, ""},
		{Eligibility{OptedOut: true, Reachable: true}, SkipOptedOut},
		{Eligibility{OptedOut: true}, SkipOptedOut}, // opt-out wins over a bad number
		{Eligibility{}, SkipInvalidNumber},
		{Eligibility{Capped: true}, SkipInvalidNumber},
		{Eligibility{Reachable: true, Capped: true, Busy: true}, SkipFrequencyCap},
		{Eligibility{Reachable: true, Busy: true}, SkipAssignedConversation},
	}
	for _, c := range cases {
		if got := c.e.SkipReason(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
}

func TestReachable(t *testing.T) {
	ptr := func(s string) *string { return &s }
	cases := []struct {
		c    models.Contact
		want bool
	}{
		{models.Contact{}, false},
		{models.Contact{WAID: "628123456789"}, true},
		{models.Contact{PhoneE164: ptr("+6281234567890")}, true},
		{models.Contact{PhoneE164: ptr("not a phone")}, false},
		{models.Contact{PhoneE164: ptr("")}, false},
		{models.Contact{PhoneE164: ptr("bad"), WAID: "628123456789"}, true},
	}
	for _, c := range cases {
		if got := reachable(c.c); got != c.want {
			t.Errorf("%+v: %v, want %v", c.c, got, c.want)
		}
	}
}
