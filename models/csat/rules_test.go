package csat

import (
	"math"
	"testing"
	"time"
	"unicode/utf8"
)

func TestStatsOfHandComputed(t *testing.T) {
	cases := []struct {
		name     string
		dist     [5]int64
		n        int64
		avg, sat float64 // NaN: none
	}{
		{"no answers", [5]int64{}, 0, math.NaN(), math.NaN()},
		// 5, 4, 4, 2: (5+4+4+2)/4 = 3.75; 3 of 4 are 4-5 = 75 %
		{"one agent", [5]int64{0, 1, 0, 2, 1}, 4, 3.75, 75},
		// 3, 1: 2.0; none satisfied
		{"unhappy", [5]int64{1, 0, 1, 0, 0}, 2, 2, 0},
		// both: 19 / 6 = 3.1667; 3 of 6 = 50 %
		{"together", [5]int64{1, 1, 1, 2, 1}, 6, 19.0 / 6, 50},
		{"all fives", [5]int64{0, 0, 0, 0, 7}, 7, 5, 100},
	}
	for _, c := range cases {
		s := StatsOf(c.dist)
		if s.Responses != c.n || s.Distribution != c.dist {
			t.Errorf("%s: %+v", c.name, s)
		}
		check := func(what string, got *float64, want float64) {
			if math.IsNaN(want) != (got == nil) || (got != nil && math.Abs(*got-want) > 1e-9) {
				t.Errorf("%s: %s = %v, want %v", c.name, what, got, want)
			}
		}
		check("average", s.Average, c.avg)
		check("satisfied", s.SatisfiedPct, c.sat)
	}
}

func TestRowIDRoundTrip(t *testing.T) {
	for n := 1; n <= 5; n++ {
		id, r, ok := ParseRowID(RowID(42, n))
		if !ok || id != 42 || r != n {
			t.Errorf("%d: %d %d %v", n, id, r, ok)
		}
	}
	for _, bad := range []string{"", "csat:", "csat:42", "csat:42:0", "csat:42:6", "csat:x:3", "csat:0:3", "tenor-6", "csat:42:3:1"} {
		if _, _, ok := ParseRowID(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The survey fits Meta's list limits (what the simulator enforces): 1-10
// rows, row title <= 24, row id <= 200, button <= 20, footer <= 60.
func TestSurveyMessageFitsListLimits(t *testing.T) {
	m := SurveyMessage(1<<40, DefaultQuestion)
	in := m.Interactive
	if m.Type != "interactive" || in == nil || in.Type != "list" || in.Body.Text != DefaultQuestion {
		t.Fatalf("%+v", m)
	}
	if utf8.RuneCountInString(in.Action.Button) > 20 || utf8.RuneCountInString(in.Footer.Text) > 60 || len(in.Action.Sections) != 1 {
		t.Fatalf("action %+v footer %q", in.Action, in.Footer.Text)
	}
	rows := in.Action.Sections[0].Rows
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if utf8.RuneCountInString(r.Title) > 24 || len(r.ID) > 200 || r.Title != RatingTitle(i+1) {
			t.Errorf("row %d %+v", i, r)
		}
		if _, n, ok := ParseRowID(r.ID); !ok || n != i+1 {
			t.Errorf("row %d id %q", i, r.ID)
		}
	}
}

func TestJudge(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	five := 5
	cur := Survey{ID: 7, LatestID: 7, ExpiresAt: at.Add(time.Hour)}
	answered := cur
	answered.Rating = &five
	old := cur
	old.LatestID = 9
	for _, c := range []struct {
		name string
		s    Survey
		at   time.Time
		want Verdict
	}{
		{"first answer in time", cur, at, Record},
		{"at the deadline", cur, at.Add(time.Hour), Record},
		{"after the timeout", cur, at.Add(time.Hour + time.Second), Ignore},
		{"second tap", answered, at, Repeat},
		{"second tap after the timeout", answered, at.Add(2 * time.Hour), Ignore},
		{"an older survey", old, at, Ignore},
	} {
		if got := Judge(c.s, c.at); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
