package journeys

import (
	"strings"
	"time"
	"unicode"
)

// Outcome is what happened at a step that the next one depends on: the
// customer's reply (if any) and the contact's attributes when a branch reads
// them.
type Outcome struct {
	Replied  bool
	TimedOut bool
	// Payload of the button the customer tapped; Text of their message.
	Payload string
	Text    string
	// Attributes of the contact (a branch on an attribute loads them).
	Attributes map[string]string
	// Promised: the customer picked one of an ask_promise_date's dates.
	Promised bool
}

// Ways a step was left (Transition.Via): the funnel counts a branch taken.
const (
	ViaNext    = "next"
	ViaReply   = "reply"
	ViaTimeout = "timeout"
	ViaRule    = "rule"
	ViaElse    = "else"
	ViaStop    = "stop"
)

// Transition is where a step leads: To ("" ends the journey, completed) and
// how (Via; Rule is the index of the branch rule that held).
type Transition struct {
	To   string
	Via  string
	Rule int
}

// Next is the one rule of where a step leads given its outcome: the step's
// Next (or the following step of the list), Else on a wait-for-reply's
// timeout, the first holding rule of a branch (Else or Next when none
// holds), nothing after stop or after the last step. Pure: the workflow
// calls it with what it saw, the tests with tables.
func (d Definition) Next(stepID string, o Outcome) Transition {
	i := -1
	for j, s := range d.Steps {
		if s.ID == stepID {
			i = j
		}
	}
	if i < 0 {
		return Transition{Via: ViaStop}
	}
	s := d.Steps[i]
	next := s.Next
	if next == "" && i+1 < len(d.Steps) {
		next = d.Steps[i+1].ID
	}
	switch s.Kind {
	case KindStop:
		return Transition{Via: ViaStop}
	case KindWaitForReply:
		if o.Replied {
			return Transition{To: next, Via: ViaReply}
		}
		return Transition{To: cmpOr(s.Else, next), Via: ViaTimeout}
	case KindAskPromiseDate:
		if o.Promised {
			return Transition{To: next, Via: ViaReply}
		}
		return Transition{To: cmpOr(s.Else, next), Via: ViaElse}
	case KindBranch:
		for j, r := range s.Rules {
			if r.holds(o) {
				return Transition{To: r.Goto, Via: ViaRule, Rule: j}
			}
		}
		return Transition{To: cmpOr(s.Else, next), Via: ViaElse}
	}
	return Transition{To: next, Via: ViaNext}
}

func (r BranchRule) holds(o Outcome) bool {
	switch r.On {
	case OnReply:
		return o.Replied
	case OnNoReply:
		return !o.Replied
	case OnButton:
		return o.Replied && strings.EqualFold(strings.TrimSpace(o.Payload), strings.TrimSpace(r.Value))
	case OnKeyword:
		return o.Replied && hasWords(o.Text, r.Value)
	case OnAttribute:
		return strings.EqualFold(strings.TrimSpace(o.Attributes[r.Attribute]), strings.TrimSpace(r.Value))
	}
	return false
}

// hasWords reports whether text contains the words of kw in order, as whole
// words, ignoring case and punctuation ("Saya akan BAYAR!" has "akan bayar";
// "bayarlah" has no "bayar": a keyword is a word, not a substring).
func hasWords(text, kw string) bool {
	split := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	t, k := split(text), split(kw)
	if len(k) == 0 {
		return false
	}
	for i := 0; i+len(k) <= len(t); i++ {
		match := true
		for j := range k {
			if t[i+j] != k[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// defaultFieldTime is when a date-field wait ends on its day without AtTime.
const defaultFieldTime = "09:00"

// WaitUntil is when a wait step ends, before quiet hours are applied (the
// workflow moves the result with models.NextAllowed): now + Seconds; the
// next AtTime in loc strictly after now; or field's date + OffsetDays at
// AtTime (09:00 when empty) in loc. A date-field wait whose moment has
// passed, or whose field is empty (zero), ends now: a missing due date must
// not hold a customer in the journey forever.
func WaitUntil(w Wait, now time.Time, loc *time.Location, field time.Time) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case w.Seconds > 0:
		return now.Add(time.Duration(w.Seconds) * time.Second)
	case w.Field != "":
		if field.IsZero() {
			return now
		}
		hh, mm := clock(cmpOr(w.AtTime, defaultFieldTime))
		y, m, d := field.Date() // the stored date, not shifted into loc
		at := time.Date(y, m, d+w.OffsetDays, hh, mm, 0, 0, loc)
		if at.Before(now) {
			return now
		}
		return at
	case w.AtTime != "":
		hh, mm := clock(w.AtTime)
		local := now.In(loc)
		y, m, d := local.Date()
		at := time.Date(y, m, d, hh, mm, 0, 0, loc)
		if !at.After(now) {
			at = time.Date(y, m, d+1, hh, mm, 0, 0, loc)
		}
		return at
	}
	return now
}

func clock(s string) (int, int) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 9, 0 // Validate refuses it; a stored bad value waits for the morning
	}
	return t.Hour(), t.Minute()
}

// PromisePayloadPrefix starts a button payload that names a promised date
// ("promise:2026-01-31"): a self-service list of dates answers with it.
const PromisePayloadPrefix = "promise:"

// PromiseDate is the date an update_case step records: PromiseDays after
// now's local date in loc when set, else the date the customer's button
// payload names, else today (local). A date, at 00:00 UTC like the case's
// DATE column reads back.
func PromiseDate(s Step, now time.Time, loc *time.Location, payload string) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	if s.PromiseDays > 0 {
		return time.Date(y, m, d+s.PromiseDays, 0, 0, 0, 0, time.UTC)
	}
	if v, ok := strings.CutPrefix(strings.TrimSpace(payload), PromisePayloadPrefix); ok {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t
		}
	}
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
