package models

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // recipient zones must load on hosts without tzdata
)

// QuietHours says when business-initiated messages may reach a recipient,
// in the recipient's local time. The zero value is the OJK default for
// collections (POJK 22/2023 art. 62): Monday-Saturday 08:00-20:00, no
// public holidays.
type QuietHours struct {
	// Days allowed (0 = Sunday). Empty: Monday-Saturday.
	Days []time.Weekday `json:"days,omitempty"`
	// From and To are local "HH:MM"; To is exclusive. Empty: 08:00 and 20:00.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Holidays are local dates "YYYY-MM-DD" on which nothing is sent.
	Holidays []string `json:"holidays,omitempty"`
}

// Time zones of Indonesia.
const (
	TZWIB  = "Asia/Jakarta"
	TZWITA = "Asia/Makassar"
	TZWIT  = "Asia/Jayapura"
)

func parseClock(s, def string) (int, error) {
	if s == "" {
		s = def
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Validate checks the configuration (the API reports the field).
func (q QuietHours) Validate() error {
	from, err := parseClock(q.From, "08:00")
	if err != nil {
		return FieldError(EInvalid, "quietHours.from", "%s", err.Error())
	}
	to, err := parseClock(q.To, "20:00")
	if err != nil {
		return FieldError(EInvalid, "quietHours.to", "%s", err.Error())
	}
	if from >= to {
		return FieldError(EInvalid, "quietHours.from", "must be before quietHours.to")
	}
	for _, d := range q.Days {
		if d < time.Sunday || d > time.Saturday {
			return FieldError(EInvalid, "quietHours.days", "%d is not a weekday (0=Sunday..6=Saturday)", d)
		}
	}
	for _, h := range q.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			return FieldError(EInvalid, "quietHours.holidays", "%q is not YYYY-MM-DD", h)
		}
	}
	return nil
}

func (q QuietHours) dayAllowed(local time.Time) bool {
	days := q.Days
	if len(days) == 0 {
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	}
	ok := false
	for _, d := range days {
		if local.Weekday() == d {
			ok = true
		}
	}
	if !ok {
		return false
	}
	date := local.Format(time.DateOnly)
	for _, h := range q.Holidays {
		if h == date {
			return false
		}
	}
	return true
}

// NextAllowed is the first instant at or after t when a message may reach a
// recipient in tz under cfg (t itself when it is allowed). Pure, so the
// campaign workflow can call it with workflow time. An invalid cfg falls
// back to the defaults; a config that allows nothing within a year returns
// the zero time.
func NextAllowed(t time.Time, tz *time.Location, cfg QuietHours) time.Time {
	if tz == nil {
		tz = time.UTC
	}
	from, err1 := parseClock(cfg.From, "08:00")
	to, err2 := parseClock(cfg.To, "20:00")
	if err1 != nil || err2 != nil || from >= to {
		from, to = 8*60, 20*60
	}
	local := t.In(tz)
	for range 400 {
		if cfg.dayAllowed(local) {
			y, m, d := local.Date()
			start := time.Date(y, m, d, from/60, from%60, 0, 0, tz)
			end := time.Date(y, m, d, to/60, to%60, 0, 0, tz)
			switch {
			case local.Before(start):
				return start.In(t.Location())
			case local.Before(end):
				// A later day's allowed span that starts at midnight: its start
				// (local), not t, which lies on a day that was not allowed.
				if !local.Equal(t) {
					return local.In(t.Location())
				}
				return t
			}
		}
		y, m, d := local.Date()
		local = time.Date(y, m, d+1, 0, 0, 0, 0, tz)
	}
	return time.Time{}
}

// witaPrefixes are Indonesian landline area codes (after +62) in central
// Indonesian time: Bali, Nusa Tenggara, Sulawesi, South/East/North
// Kalimantan. Mobile numbers (+628...) carry no region: they default to WIB.
var witaPrefixes = []string{"36", "37", "38", "41", "42", "43", "45", "46", "511", "512", "517", "518", "54", "55"}

// RecipientZone picks the recipient's time zone: a valid "timezone" contact
// attribute wins; else the +62 area code (9xx Maluku/Papua: WIT; see
// witaPrefixes: WITA); else Asia/Jakarta.
func RecipientZone(e164, attr string) string {
	if attr != "" {
		if _, err := time.LoadLocation(attr); err == nil {
			return attr
		}
	}
	rest, ok := strings.CutPrefix(e164, "+62")
	if !ok || strings.HasPrefix(rest, "8") {
		return TZWIB
	}
	if strings.HasPrefix(rest, "9") {
		return TZWIT
	}
	for _, p := range witaPrefixes {
		if strings.HasPrefix(rest, p) {
			return TZWITA
		}
	}
	return TZWIB
}

// LoadZone loads an IANA zone, falling back to Jakarta (WIB) when unknown.
func LoadZone(zone string) *time.Location {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc, _ = time.LoadLocation(TZWIB)
	}
	if loc == nil {
		loc = time.UTC
	}
	return loc
}

// CheckZone refuses a zone name the time zone database does not know; the
// empty name (no zone of its own) passes. "Local" is refused: it is the
// server's zone, not a place.
func CheckZone(field, zone string) error {
	if zone == "" {
		return nil
	}
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" {
		return FieldError(EInvalid, field, "%q is not a time zone", zone)
	}
	return nil
}

// DayAllowed reports whether cfg lets messages go on local's day (its
// weekday is allowed and the date is not a holiday), whatever the hour.
func (q QuietHours) DayAllowed(local time.Time) bool { return q.dayAllowed(local) }
