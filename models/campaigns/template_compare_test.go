package campaigns_test

import (
	"testing"

	"github.com/wabascrm/scrm/models/campaigns"
)

func TestCompareReplyRates(t *testing.T) {
	c := func(sent, replied int64) campaigns.TemplateCounts {
		return campaigns.TemplateCounts{Sent: sent, Replied: replied}
	}
	for _, tc := range []struct {
		name        string
		a, b        campaigns.TemplateCounts
		leader      string
		significant bool
	}{
		{"nothing sent", c(0, 0), c(100, 10), "", false},
		{"equal rates", c(100, 20), c(200, 40), "", false},
		{"a clearly ahead", c(400, 120), c(400, 60), "a", true}, // 30% vs 15%, z ≈ 5.2
		{"b clearly ahead", c(500, 50), c(500, 100), "b", true}, // 10% vs 20%
		{"ahead by chance", c(100, 22), c(100, 18), "a", false}, // z ≈ 0.7
		{"too few sends", c(20, 15), c(20, 2), "a", false},      // z is large, but 20 < 30
		{"at the minimum", c(30, 20), c(30, 5), "a", true},      // 67% vs 17%
		{"nobody replied", c(300, 0), c(300, 0), "", false},
	} {
		leader, z, sig := campaigns.CompareReplyRates(tc.a, tc.b)
		if leader != tc.leader || sig != tc.significant {
			t.Errorf("%s: leader %q significant %v (z %.2f), want %q %v", tc.name, leader, sig, z, tc.leader, tc.significant)
		}
	}
}
