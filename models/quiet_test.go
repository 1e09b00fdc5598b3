package models

import (
	"testing"
	"time"
)

func TestNextAllowed(t *testing.T) {
	t.Parallel()
	jkt, _ := time.LoadLocation(TZWIB)
	jpr, _ := time.LoadLocation(TZWIT)
	at := func(loc *time.Location, s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	holidays := QuietHours{Holidays: []string{"2026-12-25", "2026-12-26"}}
	cases := []struct {
		name string
		in   time.Time
		tz   *time.Location
		cfg  QuietHours
		want time.Time
	}{
		{"inside window stays", at(jkt, "2026-11-24 10:00"), jkt, QuietHours{}, at(jkt, "2026-11-24 10:00")},
		{"before 08:00 waits for 08:00", at(jkt, "2026-11-24 06:59"), jkt, QuietHours{}, at(jkt, "2026-11-24 08:00")},
		{"20:00 is closed", at(jkt, "2026-11-24 20:00"), jkt, QuietHours{}, at(jkt, "2026-11-25 08:00")},
		{"saturday evening skips sunday", at(jkt, "2026-11-28 21:00"), jkt, QuietHours{}, at(jkt, "2026-11-30 08:00")},
		{"sunday noon waits for monday", at(jkt, "2026-11-29 12:00"), jkt, QuietHours{}, at(jkt, "2026-11-30 08:00")},
		{"holiday friday and saturday, then sunday", at(jkt, "2026-12-24 19:59"), jkt, holidays, at(jkt, "2026-12-24 19:59")},
		{"christmas eve evening skips holidays and sunday", at(jkt, "2026-12-24 20:30"), jkt, holidays, at(jkt, "2026-12-28 08:00")},
		{"local time of the recipient, not UTC", time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC), jpr, QuietHours{}, at(jpr, "2026-11-25 08:30")},
		{"a later day that opens at midnight opens then, not now", at(jkt, "2026-12-08 06:09"), jkt, QuietHours{Days: []time.Weekday{time.Sunday}, From: "00:00", To: "00:01"}, at(jkt, "2026-12-13 00:00")},
		{"custom days and hours", at(jkt, "2026-11-28 10:00"), jkt, QuietHours{Days: []time.Weekday{time.Monday}, From: "09:30", To: "11:00"}, at(jkt, "2026-11-30 09:30")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NextAllowed(c.in, c.tz, c.cfg)
			if !got.Equal(c.want) {
				t.Fatalf("NextAllowed(%s) = %s, want %s", c.in.In(c.tz), got.In(c.tz), c.want.In(c.tz))
			}
		})
	}
	if got := NextAllowed(at(jkt, "2026-11-24 10:00"), jkt, QuietHours{Days: []time.Weekday{}, Holidays: nil, From: "08:00", To: "20:00"}); !got.Equal(at(jkt, "2026-11-24 10:00")) {
		t.Fatalf("empty days means default: %s", got)
	}
}

func TestRecipientZone(t *testing.T) {
	t.Parallel()
	cases := map[[2]string]string{
		{"+6281234567890", ""}:              TZWIB,
		{"+6221500001", ""}:                 TZWIB,
		{"+62361234567", ""}:                TZWITA, // Denpasar
		{"+62411234567", ""}:                TZWITA, // Makassar
		{"+62967123456", ""}:                TZWIT,  // Jayapura
		{"+6281234567890", "Asia/Jayapura"}: TZWIT,
		{"+6281234567890", "Mars/Olympus"}:  TZWIB,
	}
	for in, want := range cases {
		if got := RecipientZone(in[0], in[1]); got != want {
			t.Errorf("RecipientZone(%q, %q) = %s, want %s", in[0], in[1], got, want)
		}
	}
}

func TestQuietHoursValidate(t *testing.T) {
	t.Parallel()
	bad := []QuietHours{{From: "8"}, {From: "20:00", To: "08:00"}, {Days: []time.Weekday{9}}, {Holidays: []string{"25-12-2026"}}}
	for _, q := range bad {
		if err := q.Validate(); err == nil {
			t.Errorf("%+v: want an error", q)
		}
	}
	if err := (QuietHours{}).Validate(); err != nil {
		t.Fatal(err)
	}
}
