package journeys

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
)

// Meta's limits on an interactive list message.
const (
	MaxListRows        = 10   // rows of a list (all sections)
	MaxListButton      = 20   // the button that opens the list
	MaxListRowTitle    = 24   // a row's title
	MaxInteractiveBody = 1024 // the body text
)

// PromiseRowPrefix starts the id of a row of an ask_promise_date list
// ("ptp:2026-12-10"): the customer's list_reply carries it back.
const PromiseRowPrefix = "ptp:"

// DefaultPromiseButton labels the list's button when the step gives none.
const DefaultPromiseButton = "Pilih tanggal"

var (
	idDaysShort   = [...]string{"Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"}
	idDays        = [...]string{"Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"}
	idMonthsShort = [...]string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}
	idMonths      = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}
)

// PromiseChoices are the dates an ask_promise_date step offers: the next n
// days, from tomorrow in the customer's zone loc, on which the journey's
// quiet hours let messages go (allowed weekdays, not a holiday): a business
// day the collector can follow up on. Each at 00:00 UTC, like the case's
// DATE column reads back. Pure (the workflow calls it with workflow time).
func PromiseChoices(now time.Time, loc *time.Location, q models.QuietHours, n int) []time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if n > MaxListRows {
		n = MaxListRows
	}
	y, m, d := now.In(loc).Date()
	var out []time.Time
	for i := 1; len(out) < n && i <= 366; i++ {
		local := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		if !q.DayAllowed(local) {
			continue
		}
		ly, lm, ld := local.Date()
		out = append(out, time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC))
	}
	return out
}

// PromiseRowID is the list row id of a date ("ptp:2026-12-10").
func PromiseRowID(d time.Time) string { return PromiseRowPrefix + d.Format(time.DateOnly) }

// PromiseRowTitle is a row's title in Indonesian ("Kam, 10 Des").
func PromiseRowTitle(d time.Time) string {
	return fmt.Sprintf("%s, %d %s", idDaysShort[d.Weekday()], d.Day(), idMonthsShort[d.Month()-1])
}

// PromiseLongDate is a date in full Indonesian ("Kamis, 10 Desember 2026").
func PromiseLongDate(d time.Time) string {
	return fmt.Sprintf("%s, %d %s %d", idDays[d.Weekday()], d.Day(), idMonths[d.Month()-1], d.Year())
}

// PromiseConfirmation is the text sent once the customer picked a date.
func PromiseConfirmation(d time.Time) string {
	return fmt.Sprintf("Terima kasih, janji bayar Anda tercatat untuk %s.", PromiseLongDate(d))
}

// ChosenPromise is the date a list_reply payload names when it is one of
// offered (false: another answer, or a date the list did not offer).
func ChosenPromise(payload string, offered []time.Time) (time.Time, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(payload), PromiseRowPrefix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false
	}
	for _, o := range offered {
		if o.Equal(t) {
			return t, true
		}
	}
	return time.Time{}, false
}

// validateAsk checks an ask_promise_date step against Meta's list rules.
func (s Step) validateAsk(f string, ref func(field, id string) error) error {
	if strings.TrimSpace(s.Body) == "" {
		return models.FieldError(models.EInvalid, f+".body", "is required")
	}
	if utf8.RuneCountInString(s.Body) > MaxInteractiveBody {
		return models.FieldError(models.EInvalid, f+".body", "must be at most %d characters", MaxInteractiveBody)
	}
	if s.Dates < 1 || s.Dates > MaxListRows {
		return models.FieldError(models.EInvalid, f+".dates", "must be between %d and %d", 1, MaxListRows)
	}
	if utf8.RuneCountInString(s.Button) > MaxListButton {
		return models.FieldError(models.EInvalid, f+".button", "must be at most %d characters", MaxListButton)
	}
	if s.TimeoutSeconds <= 0 || time.Duration(s.TimeoutSeconds)*time.Second > maxWait {
		return models.FieldError(models.EInvalid, f+".timeoutSeconds", "must be between %d and %d", 1, int64(maxWait/time.Second))
	}
	return ref(f+".else", s.Else)
}
