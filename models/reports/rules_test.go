package reports_test

import (
	"math"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/reports"
)

var wib = models.LoadZone("Asia/Jakarta")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, wib)
	if err != nil {
		panic(err)
	}
	return t
}

// businessCases are shared with the SQL parity test.
var businessCases = []struct {
	name string
	a, b string
	want int64
}{
	{"inside one day", "2026-11-30 09:00", "2026-11-30 09:10", 600},
	{"before opening counts from 08:00", "2026-11-30 06:00", "2026-11-30 08:30", 1800},
	{"after closing counts nothing", "2026-11-30 17:30", "2026-11-30 23:00", 0},
	{"Friday evening to Monday morning", "2026-11-27 16:30", "2026-11-30 08:15", 2700},
	{"weekend only", "2026-11-28 09:00", "2026-11-29 18:00", 0},
	{"a whole week", "2026-11-30 08:00", "2026-12-07 08:00", 5 * 9 * 3600},
	{"three weeks and a bit", "2026-11-02 12:00", "2026-11-24 10:00", (5*3600 + 9*3600*14 + 9*3600 + 2*3600)},
	{"reversed is zero", "2026-11-30 10:00", "2026-11-30 09:00", 0},
}

func TestBusinessSeconds(t *testing.T) {
	h := reports.DefaultBusinessHours()
	for _, c := range businessCases {
		if got := reports.BusinessSeconds(at(c.a), at(c.b), h); got != c.want {
			t.Errorf("%s: BusinessSeconds(%s, %s) = %d, want %d", c.name, c.a, c.b, got, c.want)
		}
	}
	sat := reports.BusinessHours{Zone: wib, WorkDays: []int{1, 2, 3, 4, 5, 6}, StartMin: 8 * 60, EndMin: 20 * 60}
	if got := reports.BusinessSeconds(at("2026-11-28 19:00"), at("2026-11-30 09:00"), sat); got != 2*3600 {
		t.Errorf("Mon-Sat 08-20: got %d, want 7200", got)
	}
}

func TestBin(t *testing.T) {
	for _, c := range []struct {
		s    int64
		want int
	}{{0, 0}, {30, 0}, {31, 1}, {60, 1}, {2700, 7}, {3600, 7}, {604800, 14}, {604801, 15}, {1 << 40, 15}} {
		if got := reports.Bin(c.s); got != c.want {
			t.Errorf("Bin(%d) = %d, want %d", c.s, got, c.want)
		}
	}
}

func TestPercentile(t *testing.T) {
	hist := func(vals ...int64) []int64 {
		h := make([]int64, reports.HistSize)
		for _, v := range vals {
			h[reports.Bin(v)]++
		}
		return h
	}
	for _, c := range []struct {
		name string
		h    []int64
		p    float64
		want float64
		ok   bool
	}{
		{"empty", make([]int64, reports.HistSize), 0.5, 0, false},
		{"two values, median", hist(60, 2700), 0.5, 60, true},                                             // rank 1 fills bucket (30,60]
		{"two values, p90", hist(60, 2700), 0.9, 3240, true},                                              // rank 1.8: 1800 + 0.8*1800
		{"ten in one bucket, p50", hist(100, 100, 100, 100, 100, 100, 100, 100, 100, 100), 0.5, 90, true}, // (60,120]: 60+0.5*60
		{"open bucket answers its lower bound", hist(700000), 0.5, 604800, true},
		{"first bucket starts at zero", hist(10, 10), 0.5, 15, true},
	} {
		got, ok := reports.Percentile(c.h, c.p)
		if ok != c.ok || math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: Percentile = %v, %v; want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestParseRange(t *testing.T) {
	today := time.Date(2026, 12, 3, 15, 0, 0, 0, wib)
	f, to, err := reports.ParseRange("", "", today)
	if err != nil || f.Format(time.DateOnly) != "2026-11-27" || to.Format(time.DateOnly) != "2026-12-03" {
		t.Fatalf("default range = %v..%v, %v", f, to, err)
	}
	for _, c := range []struct{ from, to, field string }{
		{"2026-12-03", "2026-12-01", "from"},
		{"2026-13-01", "", "from"},
		{"", "yesterday", "to"},
		{"2024-01-01", "2026-01-01", "to"},
	} {
		_, _, err := reports.ParseRange(c.from, c.to, today)
		var e *models.Error
		if err == nil || models.CodeOf(err) != models.EInvalid {
			t.Errorf("ParseRange(%q, %q) = %v, want invalid", c.from, c.to, err)
			continue
		}
		if me, ok := err.(*models.Error); ok {
			e = me
		}
		if e == nil || e.Field != c.field {
			t.Errorf("ParseRange(%q, %q): field %v, want %s", c.from, c.to, e, c.field)
		}
	}
}

func TestRateCardNormal(t *testing.T) {
	rc, err := reports.RateCard{
		Prefixes: []reports.RatePrefix{{Prefix: "+62", Market: " ID "}},
		Prices:   []reports.RatePrice{{Market: "ID", Category: "MARKETING", PriceIDR: 586.3304}},
	}.Normal()
	if err != nil || rc.Prefixes[0].Prefix != "62" || rc.Prefixes[0].Market != "ID" || rc.Prices[0].Category != "marketing" || rc.Prices[0].PriceIDR != 586.33 {
		t.Fatalf("Normal = %+v, %v", rc, err)
	}
	price := []reports.RatePrice{{Market: "ID", Category: "marketing", PriceIDR: 1}}
	for _, bad := range []reports.RateCard{
		{},
		{Prefixes: []reports.RatePrefix{{Prefix: "6x", Market: "ID"}}, Prices: price},
		{Prefixes: []reports.RatePrefix{{Prefix: "62", Market: ""}}, Prices: price},
		{Prefixes: []reports.RatePrefix{{Prefix: "62", Market: "ID"}, {Prefix: "62", Market: "XX"}}, Prices: price},
		{Prices: []reports.RatePrice{{Market: "ID", Category: "marketing", PriceIDR: -1}}},
		{Prices: []reports.RatePrice{{Market: "ID", Category: "mar keting", PriceIDR: 1}}},
		{Prices: []reports.RatePrice{{Market: "ID", Category: "utility", PriceIDR: 1}, {Market: "ID", Category: "UTILITY", PriceIDR: 2}}},
	} {
		if _, err := bad.Normal(); models.CodeOf(err) != models.EInvalid {
			t.Errorf("Normal(%+v) = %v, want invalid", bad, err)
		}
	}
}

func TestBusinessAdd(t *testing.T) {
	h := reports.DefaultBusinessHours()
	for _, c := range []struct {
		name string
		from string
		d    time.Duration
		want string
	}{
		{"inside one day", "2026-11-30 09:00", 10 * time.Minute, "2026-11-30 09:10"},
		{"before opening starts at 08:00", "2026-11-30 06:00", 30 * time.Minute, "2026-11-30 08:30"},
		{"Friday 16:30 plus 45 minutes is Monday 08:15", "2026-11-27 16:30", 45 * time.Minute, "2026-11-30 08:15"},
		{"exactly at closing stays on the day", "2026-11-30 16:00", time.Hour, "2026-11-30 17:00"},
		{"after closing goes to the next morning", "2026-11-30 17:30", time.Minute, "2026-12-01 08:01"},
		{"Saturday waits for Monday", "2026-11-28 11:00", 2 * time.Hour, "2026-11-30 10:00"},
		{"a whole week of business time", "2026-11-30 08:00", 45 * time.Hour, "2026-12-04 17:00"},
	} {
		got := reports.BusinessAdd(at(c.from), c.d, h)
		if !got.Equal(at(c.want)) {
			t.Errorf("%s: BusinessAdd(%s, %s) = %s, want %s", c.name, c.from, c.d, got.In(wib).Format("2006-01-02 15:04"), c.want)
		}
	}
	if got := reports.BusinessAdd(at("2026-11-30 09:00"), time.Hour, reports.BusinessHours{Zone: wib, StartMin: 480, EndMin: 1020}); !got.IsZero() {
		t.Errorf("no working day: %s, want zero", got)
	}
}

// BusinessAdd is BusinessSeconds' inverse on any start and duration.
func FuzzBusinessAddInverse(f *testing.F) {
	f.Add(int64(0), int64(60))
	f.Add(int64(3*86400+16*3600), int64(2700))
	f.Fuzz(func(t *testing.T, startSecs, durSecs int64) {
		if durSecs < 0 || durSecs > 30*86400 || startSecs < 0 || startSecs > 365*86400 {
			return
		}
		h := reports.DefaultBusinessHours()
		a := at("2026-01-05 00:00").Add(time.Duration(startSecs) * time.Second)
		b := reports.BusinessAdd(a, time.Duration(durSecs)*time.Second, h)
		if got := reports.BusinessSeconds(a, b, h); got != durSecs {
			t.Fatalf("BusinessSeconds(%s, BusinessAdd(+%ds)=%s) = %d", a, durSecs, b, got)
		}
	})
}
