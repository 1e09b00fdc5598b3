package reports

import (
	"math"
	"slices"
	"time"

	"github.com/wabascrm/scrm/models"
)

// HistBounds are the upper bounds (seconds, inclusive) of the histogram
// buckets the rollups keep for first response and resolution times; the
// 16th bucket is unbounded. They match report_bin in migration 00110.
func HistBounds() []int64 {
	return []int64{30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 57600, 86400, 172800, 604800}
}

// HistSize is the number of buckets (len(HistBounds())+1).
const HistSize = 16

// Bin is the 0-based bucket of a duration in seconds (report_bin - 1).
func Bin(secs int64) int {
	for i, b := range HistBounds() {
		if secs <= b {
			return i
		}
	}
	return HistSize - 1
}

// Percentile estimates the p-quantile (0 < p <= 1) in seconds from bucket
// counts: it finds the bucket holding the rank p*n and interpolates linearly
// inside it (the open last bucket answers its lower bound). ok is false
// when the histogram is empty.
func Percentile(hist []int64, p float64) (secs float64, ok bool) {
	var n int64
	for _, c := range hist {
		n += c
	}
	if n == 0 || p <= 0 {
		return 0, false
	}
	p = math.Min(p, 1)
	rank := p * float64(n)
	bounds := HistBounds()
	var cum int64
	for i, c := range hist {
		if c == 0 {
			continue
		}
		if float64(cum+c) >= rank {
			lo := 0.0
			if i > 0 {
				lo = float64(bounds[i-1])
			}
			if i >= len(bounds) {
				return lo, true
			}
			hi := float64(bounds[i])
			return lo + (hi-lo)*(rank-float64(cum))/float64(c), true
		}
		cum += c
	}
	return float64(bounds[len(bounds)-1]), true
}

// BusinessHours are the working hours response times are counted in.
type BusinessHours struct {
	Zone     *time.Location
	WorkDays []int // ISO days: 1 = Monday ... 7 = Sunday
	StartMin int   // minutes of the local day
	EndMin   int
}

// DefaultBusinessHours: Monday to Friday, 08:00-17:00 Asia/Jakarta (the
// defaults of report_settings).
func DefaultBusinessHours() BusinessHours {
	return BusinessHours{Zone: models.LoadZone("Asia/Jakarta"), WorkDays: []int{1, 2, 3, 4, 5}, StartMin: 8 * 60, EndMin: 17 * 60}
}

func isoDay(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// BusinessSeconds is the number of whole seconds of [a, b) inside business
// hours. It is the rule report_business_seconds applies in the triggers (a
// test compares the two).
func BusinessSeconds(a, b time.Time, h BusinessHours) int64 {
	if !b.After(a) || h.EndMin <= h.StartMin {
		return 0
	}
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	la, lb := a.In(zone), b.In(zone)
	var total float64
	d := time.Date(la.Year(), la.Month(), la.Day(), 0, 0, 0, 0, zone)
	last := time.Date(lb.Year(), lb.Month(), lb.Day(), 0, 0, 0, 0, zone)
	for !d.After(last) {
		if slices.Contains(h.WorkDays, isoDay(d.Weekday())) {
			ws := d.Add(time.Duration(h.StartMin) * time.Minute)
			we := d.Add(time.Duration(h.EndMin) * time.Minute)
			s, e := maxTime(ws, la), minTime(we, lb)
			if e.After(s) {
				total += e.Sub(s).Seconds()
			}
		}
		d = d.AddDate(0, 0, 1)
	}
	return int64(math.Floor(total))
}

// BusinessAdd is the moment d of business time after a: the inverse of
// BusinessSeconds (BusinessSeconds(a, BusinessAdd(a, d, h), h) == d), so an
// SLA target of 45 minutes set on Friday 16:30 falls due on Monday 08:15.
// Hours without a working day never reach it: the zero time.
func BusinessAdd(a time.Time, d time.Duration, h BusinessHours) time.Time {
	if d <= 0 {
		return a
	}
	if h.EndMin <= h.StartMin || len(h.WorkDays) == 0 {
		return time.Time{}
	}
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	la := a.In(zone)
	day := time.Date(la.Year(), la.Month(), la.Day(), 0, 0, 0, 0, zone)
	left := d
	// Enough days for d's working days, plus the days off between them.
	dayLen := time.Duration(h.EndMin-h.StartMin) * time.Minute
	for range int(d/dayLen+1)*7/len(h.WorkDays) + 8 {
		if slices.Contains(h.WorkDays, isoDay(day.Weekday())) {
			ws := day.Add(time.Duration(h.StartMin) * time.Minute)
			we := day.Add(time.Duration(h.EndMin) * time.Minute)
			s := maxTime(ws, la)
			if we.After(s) {
				avail := we.Sub(s)
				if avail >= left {
					return s.Add(left)
				}
				left -= avail
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// MaxRangeDays is the longest date range a report accepts.
const MaxRangeDays = 400

// ParseRange checks a report's date range (YYYY-MM-DD, both days included,
// local days of the report zone). Empty from/to default to the last 7 days
// ending today.
func ParseRange(from, to string, today time.Time) (time.Time, time.Time, error) {
	day := func(field, v string, def time.Time) (time.Time, error) {
		if v == "" {
			return def, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, models.FieldError(models.EInvalid, field, "%s must be a date like 2026-01-31", field)
		}
		return t, nil
	}
	end := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	t, err := day("to", to, end)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	f, err := day("from", from, t.AddDate(0, 0, -6))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if t.Before(f) {
		return time.Time{}, time.Time{}, models.FieldError(models.EInvalid, "from", "from (%s) is after to (%s)", f.Format(time.DateOnly), t.Format(time.DateOnly))
	}
	if days := int(t.Sub(f).Hours()/24) + 1; days > MaxRangeDays {
		return time.Time{}, time.Time{}, models.FieldError(models.EInvalid, "to", "a report covers at most %d days (asked %d)", MaxRangeDays, days)
	}
	return f, t, nil
}

// Ratio is a/b, 0 when b is 0.
func Ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// IDR converts milli-rupiah to rupiah.
func IDR(milli int64) float64 { return float64(milli) / 1000 }
