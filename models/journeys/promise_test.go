package journeys

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

func askStep() Step {
	return Step{ID: "ask", Kind: KindAskPromiseDate, Body: "Kapan Anda bisa membayar?", Dates: 5, Button: "Pilih tanggal", TimeoutSeconds: 86400, Else: "agent"}
}

func TestValidateAskPromiseDate(t *testing.T) {
	t.Parallel()
	def := func(f func(s *Step)) Definition {
		s := askStep()
		f(&s)
		return Definition{Steps: []Step{s, {ID: "agent", Kind: KindAssign, TeamID: 2}}}
	}
	cases := []struct {
		name  string
		def   Definition
		field string
	}{
		{"valid", def(func(*Step) {}), ""},
		{"no button label (the default)", def(func(s *Step) { s.Button = "" }), ""},
		{"ten dates", def(func(s *Step) { s.Dates = 10 }), ""},
		{"body missing", def(func(s *Step) { s.Body = "  " }), "steps[0].body"},
		{"body too long", def(func(s *Step) { s.Body = strings.Repeat("a", 1025) }), "steps[0].body"},
		{"no dates", def(func(s *Step) { s.Dates = 0 }), "steps[0].dates"},
		{"eleven dates", def(func(s *Step) { s.Dates = 11 }), "steps[0].dates"},
		{"button too long", def(func(s *Step) { s.Button = strings.Repeat("b", 21) }), "steps[0].button"},
		{"button of 20", def(func(s *Step) { s.Button = strings.Repeat("b", 20) }), ""},
		{"no timeout", def(func(s *Step) { s.TimeoutSeconds = 0 }), "steps[0].timeoutSeconds"},
		{"timeout too long", def(func(s *Step) { s.TimeoutSeconds = 400 * 86400 }), "steps[0].timeoutSeconds"},
		{"dangling else", def(func(s *Step) { s.Else = "nowhere" }), "steps[0].else"},
		// A closed window goes to else at once: the step does not break a
		// loop by itself.
		{"loop through the ask without a wait", Definition{Steps: []Step{
			{ID: "ask", Kind: KindAskPromiseDate, Body: "x", Dates: 3, TimeoutSeconds: 60, Else: "tag"},
			{ID: "tag", Kind: KindTag, Tag: "t", Next: "ask"},
		}}, "steps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.def.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var me *models.Error
			if !errors.As(err, &me) || me.Field != c.field || me.Code != models.EInvalid {
				t.Fatalf("want invalid %s, got %v", c.field, err)
			}
		})
	}
}

func TestAskPromiseDateNext(t *testing.T) {
	t.Parallel()
	d := Definition{Steps: []Step{askStep(), {ID: "thanks", Kind: KindTag, Tag: "promised"}, {ID: "agent", Kind: KindAssign, TeamID: 2}}}
	if tr := d.Next("ask", Outcome{Replied: true, Promised: true}); tr.To != "thanks" {
		t.Fatalf("promised: %+v", tr)
	}
	if tr := d.Next("ask", Outcome{Replied: true, Text: "besok"}); tr.To != "agent" || tr.Via != ViaElse {
		t.Fatalf("text: %+v", tr)
	}
	if tr := d.Next("ask", Outcome{TimedOut: true}); tr.To != "agent" {
		t.Fatalf("timeout: %+v", tr)
	}
}

func dates(ds []time.Time) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Format("Mon 2006-01-02"))
	}
	return strings.Join(out, " ")
}

func TestPromiseChoices(t *testing.T) {
	t.Parallel()
	jkt, _ := time.LoadLocation(models.TZWIB)
	jpr, _ := time.LoadLocation(models.TZWIT)
	cases := []struct {
		name string
		now  time.Time
		loc  *time.Location
		q    models.QuietHours
		n    int
		want string
	}{
		{"monday to saturday by default, from tomorrow", time.Date(2026, 12, 10, 10, 0, 0, 0, jkt), jkt, models.QuietHours{}, 4,
			"Fri 2026-12-11 Sat 2026-12-12 Mon 2026-12-14 Tue 2026-12-15"},
		{"weekdays only", time.Date(2026, 12, 10, 10, 0, 0, 0, jkt), jkt,
			models.QuietHours{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}, 3,
			"Fri 2026-12-11 Mon 2026-12-14 Tue 2026-12-15"},
		{"holidays skipped", time.Date(2026, 12, 23, 10, 0, 0, 0, jkt), jkt,
			models.QuietHours{Holidays: []string{"2026-12-24", "2026-12-25"}}, 3,
			"Sat 2026-12-26 Mon 2026-12-28 Tue 2026-12-29"},
		// 20:00 UTC on the 9th is already the 10th in Jayapura (UTC+9):
		// tomorrow is the 11th there, the 10th in UTC.
		{"the customer's zone decides tomorrow", time.Date(2026, 12, 9, 20, 0, 0, 0, time.UTC), jpr, models.QuietHours{}, 2,
			"Fri 2026-12-11 Sat 2026-12-12"},
		{"the same instant in UTC", time.Date(2026, 12, 9, 20, 0, 0, 0, time.UTC), time.UTC, models.QuietHours{}, 2,
			"Thu 2026-12-10 Fri 2026-12-11"},
		{"at most ten", time.Date(2026, 12, 10, 10, 0, 0, 0, jkt), jkt, models.QuietHours{}, 12, ""},
		{"no allowed day", time.Date(2026, 12, 10, 10, 0, 0, 0, jkt), jkt, models.QuietHours{Days: []time.Weekday{7}}, 3, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PromiseChoices(c.now, c.loc, c.q, c.n)
			if c.name == "at most ten" {
				if len(got) != MaxListRows {
					t.Fatalf("%d dates", len(got))
				}
				return
			}
			if dates(got) != c.want {
				t.Fatalf("got  %s\nwant %s", dates(got), c.want)
			}
			for _, d := range got {
				if d.Location() != time.UTC || d.Hour() != 0 {
					t.Fatalf("%v is not a date at 00:00 UTC", d)
				}
			}
		})
	}
}

func TestPromiseRowsAndConfirmation(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	if PromiseRowID(d) != "ptp:2026-12-10" || PromiseRowTitle(d) != "Kam, 10 Des" {
		t.Fatalf("%s %s", PromiseRowID(d), PromiseRowTitle(d))
	}
	if got := PromiseConfirmation(d); got != "Terima kasih, janji bayar Anda tercatat untuk Kamis, 10 Desember 2026." {
		t.Fatal(got)
	}
	// The longest title fits Meta's row title limit.
	if n := len([]rune(PromiseRowTitle(time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)))); n > MaxListRowTitle {
		t.Fatalf("title of %d runes", n)
	}
	offered := []time.Time{d, d.AddDate(0, 0, 1)}
	for _, c := range []struct {
		payload string
		ok      bool
	}{{"ptp:2026-12-10", true}, {" ptp:2026-12-11 ", true}, {"ptp:2026-12-12", false}, {"PAY", false}, {"ptp:10-12-2026", false}, {"", false}} {
		got, ok := ChosenPromise(c.payload, offered)
		if ok != c.ok || (ok && PromiseRowID(got) != strings.TrimSpace(c.payload)) {
			t.Fatal(fmt.Sprint(c.payload, got, ok))
		}
	}
}
