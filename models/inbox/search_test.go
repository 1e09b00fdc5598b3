package inbox

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("kata ", 60) + "transfer BCA kemarin " + strings.Repeat("lagi ", 60)
	cases := []struct {
		body, word string
		n          int
		want       func(string) bool
	}{
		{"pendek saja", "pendek", 160, func(s string) bool { return s == "pendek saja" }},
		{long, "transfer", 80, func(s string) bool {
			return strings.HasPrefix(s, "…") && strings.HasSuffix(s, "…") && strings.Contains(s, "transfer BCA") && len([]rune(s)) <= 82
		}},
		{long, "tidakada", 40, func(s string) bool { return strings.HasPrefix(s, "kata") && strings.HasSuffix(s, "…") }},
		{"Ñandú " + long, "transfer", 60, func(s string) bool { return strings.Contains(s, "transfer") }},
	}
	for i, c := range cases {
		if got := snippet(c.body, []string{c.word}, c.n); !c.want(got) {
			t.Errorf("case %d: %q", i, got)
		}
	}
}
