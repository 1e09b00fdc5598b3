package models

import (
	"testing"
	"time"
)

func TestWindowRule(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	zero := time.Time{}
	cases := []struct {
		name   string
		last   *time.Time
		now    time.Time
		length time.Duration
		open   bool
		end    time.Time
	}{
		{"never wrote", nil, at, 0, false, time.Time{}},
		{"zero time is never", &zero, at, 0, false, time.Time{}},
		{"just written", &at, at, 0, true, at.Add(24 * time.Hour)},
		{"one ns before the end", &at, at.Add(24*time.Hour - 1), 0, true, at.Add(24 * time.Hour)},
		{"at the end it is closed", &at, at.Add(24 * time.Hour), 0, false, at.Add(24 * time.Hour)},
		{"after the end", &at, at.Add(25 * time.Hour), 0, false, at.Add(24 * time.Hour)},
		{"negative length means 24h", &at, at.Add(23 * time.Hour), -time.Hour, true, at.Add(24 * time.Hour)},
		{"shortened demo window", &at, at.Add(2 * time.Minute), time.Minute, false, at.Add(time.Minute)},
		{"shortened, inside", &at, at.Add(30 * time.Second), time.Minute, true, at.Add(time.Minute)},
		{"clock behind the message", &at, at.Add(-time.Minute), 0, true, at.Add(24 * time.Hour)},
	}
	for _, c := range cases {
		if got := WindowOpen(c.last, c.now, c.length); got != c.open {
			t.Errorf("%s: WindowOpen = %v, want %v", c.name, got, c.open)
		}
		if got := WindowEnd(c.last, c.length); !got.Equal(c.end) {
			t.Errorf("%s: WindowEnd = %v, want %v", c.name, got, c.end)
		}
	}
	if WindowLength(0) != ServiceWindow || WindowLength(time.Hour) != time.Hour {
		t.Fatal("WindowLength")
	}
}
