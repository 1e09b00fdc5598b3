package campaigns

import (
	"context"
	"math"
)

// MinCompareSends is the fewest sent messages each template needs before
// a comparison names a winner: below it one reply moves the rate by more
// than three points.
const MinCompareSends = 30

// TemplateComparison sets two templates' last days side by side (an A/B
// test of two wordings): their stats, which one has the higher reply rate,
// and whether the difference is more than chance.
type TemplateComparison struct {
	A TemplateStats `json:"a"`
	B TemplateStats `json:"b"`
	// Leader is "a" or "b", the higher reply rate; "" when equal or when
	// either has nothing sent.
	Leader string `json:"leader"`
	// Significant: both have MinCompareSends sent and the two-proportion
	// z-test of their reply rates is beyond 1.96 (95%): the leader is the
	// winner. Otherwise the page says there is not enough data yet.
	Significant bool    `json:"significant"`
	Z           float64 `json:"z"`
	MinSends    int     `json:"minSends"`
}

// CompareReplyRates is the comparison's rule: the leader by reply rate
// (replied of sent), the pooled two-proportion z statistic, and whether it
// is a winner at 95% with enough sends on both sides.
func CompareReplyRates(a, b TemplateCounts) (leader string, z float64, significant bool) {
	if a.Sent == 0 || b.Sent == 0 {
		return "", 0, false
	}
	pa, pb := float64(a.Replied)/float64(a.Sent), float64(b.Replied)/float64(b.Sent)
	switch {
	case pa > pb:
		leader = "a"
	case pb > pa:
		leader = "b"
	default:
		return "", 0, false
	}
	p := float64(a.Replied+b.Replied) / float64(a.Sent+b.Sent)
	se := math.Sqrt(p * (1 - p) * (1/float64(a.Sent) + 1/float64(b.Sent)))
	if se == 0 {
		return leader, 0, false
	}
	z = (pa - pb) / se
	return leader, z, a.Sent >= MinCompareSends && b.Sent >= MinCompareSends && math.Abs(z) >= 1.96
}

// CompareTemplates loads both templates' stats over the last days days and
// compares their reply rates.
func (s CampaignStore) CompareTemplates(ctx context.Context, idA, idB int64, days int) (TemplateComparison, error) {
	a, err := s.TemplateStats(ctx, idA, days)
	if err != nil {
		return TemplateComparison{}, err
	}
	b, err := s.TemplateStats(ctx, idB, days)
	if err != nil {
		return TemplateComparison{}, err
	}
	c := TemplateComparison{A: a, B: b, MinSends: MinCompareSends}
	c.Leader, c.Z, c.Significant = CompareReplyRates(a.Totals, b.Totals)
	c.Z = math.Round(c.Z*100) / 100
	return c, nil
}
