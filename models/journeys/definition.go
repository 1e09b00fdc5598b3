package journeys

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
)

// Step kinds of a journey definition.
const (
	KindSendTemplate = "send_template"
	KindWait         = "wait"
	KindWaitForReply = "wait_for_reply"
	KindBranch       = "branch"
	KindAssign       = "assign"
	KindUpdateCase   = "update_case"
	KindSetAttribute = "set_attribute"
	KindTag          = "tag"
	KindStop         = "stop"
	// KindAskPromiseDate sends an interactive list of dates to pick a
	// promise to pay from ("Tanya tanggal janji bayar").
	KindAskPromiseDate = "ask_promise_date"
)

// Kinds lists every step kind, in the order the editor offers them.
var Kinds = []string{KindSendTemplate, KindWait, KindWaitForReply, KindAskPromiseDate, KindBranch, KindAssign, KindUpdateCase, KindSetAttribute, KindTag, KindStop}

// Branch conditions (BranchRule.On).
const (
	OnReply     = "reply"     // the customer answered (anything)
	OnNoReply   = "no_reply"  // the last wait for reply timed out (or none was asked)
	OnButton    = "button"    // the reply was a tap on the button whose payload is Value
	OnKeyword   = "keyword"   // the reply's text contains Value (case-insensitive, whole words)
	OnAttribute = "attribute" // the contact attribute Attribute equals Value
)

var branchConditions = []string{OnReply, OnNoReply, OnButton, OnKeyword, OnAttribute}

// CaseActionPromise records a promise to pay on the contact's open case.
const CaseActionPromise = "promise_to_pay"

// MaxSteps bounds a definition: a journey is a sequence a manager reads, not
// a program, and the workflow carries its version's steps in its input.
const MaxSteps = 100

// Definition is one version of a journey: its steps, run from Start (the
// first step when empty). Stored as JSONB and never changed: editing a live
// journey stores a new version.
type Definition struct {
	Start string `json:"start,omitempty"`
	Steps []Step `json:"steps"`
}

// Step is one step of a definition. Next is the step after it (the
// following step of the list when empty; the journey completes after the
// last one). Only the fields of its Kind are read.
type Step struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Next string `json:"next,omitempty"`

	// send_template: an APPROVED template and its variables mapped like a
	// campaign's ("body.1": "contact.name|Bapak/Ibu", "body.2": "case.amount").
	TemplateID int64             `json:"templateId,omitempty"`
	Variables  map[string]string `json:"variables,omitempty"`

	// wait: how long, or until when.
	Wait *Wait `json:"wait,omitempty"`

	// wait_for_reply: TimeoutSeconds to wait; a reply goes to Next, a
	// timeout to Else (Next when empty).
	TimeoutSeconds int64  `json:"timeoutSeconds,omitempty"`
	Else           string `json:"else,omitempty"`

	// branch: the first rule that holds picks the step; none: Else (Next
	// when empty).
	Rules []BranchRule `json:"rules,omitempty"`

	// assign: an agent or a team (exactly one).
	AgentID int64 `json:"agentId,omitempty"`
	TeamID  int64 `json:"teamId,omitempty"`

	// update_case: Action (promise_to_pay) with the promised date
	// PromiseDays after the step runs, or the date the customer's button
	// payload names ("promise:2026-01-31") when PromiseDays is 0.
	Action      string `json:"action,omitempty"`
	PromiseDays int    `json:"promiseDays,omitempty"`

	// set_attribute: Attribute = Value; tag: Tag.
	Attribute string `json:"attribute,omitempty"`
	Value     string `json:"value,omitempty"`
	Tag       string `json:"tag,omitempty"`

	// ask_promise_date: an interactive list (Body, its Button label) of
	// Dates business days from tomorrow; a tapped date is promised on the
	// case, confirmed to the customer and goes to Next; no tap within
	// TimeoutSeconds, another answer, or a closed 24-hour window (no
	// interactive message may be sent then) goes to Else.
	Body   string `json:"body,omitempty"`
	Dates  int    `json:"dates,omitempty"`
	Button string `json:"button,omitempty"`
}

// Wait is a wait step's end: exactly one of Seconds (a duration), AtTime
// (the next "HH:MM" in the customer's zone) or Field (a date of the contact
// or the case, "case.due_date" or "contact.<attribute>", OffsetDays from it,
// at AtTime or 09:00 local).
type Wait struct {
	Seconds    int64  `json:"seconds,omitempty"`
	AtTime     string `json:"atTime,omitempty"`
	Field      string `json:"field,omitempty"`
	OffsetDays int    `json:"offsetDays,omitempty"`
}

// BranchRule is one condition of a branch step and the step it goes to.
type BranchRule struct {
	On        string `json:"on"`
	Value     string `json:"value,omitempty"`
	Attribute string `json:"attribute,omitempty"`
	Goto      string `json:"goto"`
}

// maxWait bounds any single wait: longer is a mistake in the editor (and a
// timer Temporal keeps for a year).
const maxWait = 366 * 24 * time.Hour

// Validate checks a definition before it is stored: known kinds, unique
// ids, every step reference defined, the fields of each kind, and no loop
// that could run without waiting (it would spin a workflow and spam a
// customer). The error names the field, like "steps[2].templateId".
func (d Definition) Validate() error {
	if len(d.Steps) == 0 || len(d.Steps) > MaxSteps {
		return models.FieldError(models.EInvalid, "steps", "a journey has 1 to %d steps", MaxSteps)
	}
	ids := map[string]int{}
	for i, s := range d.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		if strings.TrimSpace(s.ID) == "" {
			return models.FieldError(models.EInvalid, f+".id", "is required")
		}
		if _, dup := ids[s.ID]; dup {
			return models.FieldError(models.EInvalid, f+".id", "%q is used by two steps", s.ID)
		}
		ids[s.ID] = i
	}
	ref := func(field, id string) error {
		if _, ok := ids[id]; id != "" && !ok {
			return models.FieldError(models.EInvalid, field, "step %q is not defined", id)
		}
		return nil
	}
	if err := ref("start", d.Start); err != nil {
		return err
	}
	for i, s := range d.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		if err := ref(f+".next", s.Next); err != nil {
			return err
		}
		if err := s.validate(f, ref); err != nil {
			return err
		}
	}
	if loop := d.loopWithoutWait(); loop != nil {
		return models.FieldError(models.EInvalid, "steps", "steps %s loop without a wait", strings.Join(loop, " -> "))
	}
	return nil
}

func (s Step) validate(f string, ref func(field, id string) error) error {
	switch s.Kind {
	case KindSendTemplate:
		if s.TemplateID <= 0 {
			return models.FieldError(models.EInvalid, f+".templateId", "is required")
		}
		for k, v := range s.Variables {
			if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
				return models.FieldError(models.EInvalid, f+".variables", "is required")
			}
		}
	case KindWait:
		return s.Wait.validate(f + ".wait")
	case KindWaitForReply:
		if s.TimeoutSeconds <= 0 || time.Duration(s.TimeoutSeconds)*time.Second > maxWait {
			return models.FieldError(models.EInvalid, f+".timeoutSeconds", "must be between %d and %d", 1, int64(maxWait/time.Second))
		}
		return ref(f+".else", s.Else)
	case KindBranch:
		if len(s.Rules) == 0 {
			return models.FieldError(models.EInvalid, f+".rules", "is required")
		}
		for j, r := range s.Rules {
			rf := fmt.Sprintf("%s.rules[%d]", f, j)
			if !slices.Contains(branchConditions, r.On) {
				return models.FieldError(models.EInvalid, rf+".on", "%q is not a branch condition (reply, no_reply, button, keyword, attribute)", r.On)
			}
			if (r.On == OnButton || r.On == OnKeyword || r.On == OnAttribute) && strings.TrimSpace(r.Value) == "" {
				return models.FieldError(models.EInvalid, rf+".value", "is required")
			}
			if r.On == OnAttribute && strings.TrimSpace(r.Attribute) == "" {
				return models.FieldError(models.EInvalid, rf+".attribute", "is required")
			}
			if r.Goto == "" {
				return models.FieldError(models.EInvalid, rf+".goto", "is required")
			}
			if err := ref(rf+".goto", r.Goto); err != nil {
				return err
			}
		}
		return ref(f+".else", s.Else)
	case KindAssign:
		if (s.AgentID > 0) == (s.TeamID > 0) {
			return models.FieldError(models.EInvalid, f+".agentId", "give exactly one of agentId or teamId")
		}
	case KindUpdateCase:
		if s.Action != CaseActionPromise {
			return models.FieldError(models.EInvalid, f+".action", "%q is not a case action (promise_to_pay)", s.Action)
		}
		if s.PromiseDays < 0 || s.PromiseDays > 90 {
			return models.FieldError(models.EInvalid, f+".promiseDays", "must be between %d and %d", 0, 90)
		}
	case KindSetAttribute:
		if strings.TrimSpace(s.Attribute) == "" {
			return models.FieldError(models.EInvalid, f+".attribute", "is required")
		}
	case KindTag:
		if strings.TrimSpace(s.Tag) == "" {
			return models.FieldError(models.EInvalid, f+".tag", "is required")
		}
	case KindAskPromiseDate:
		return s.validateAsk(f, ref)
	case KindStop:
	case "":
		return models.FieldError(models.EInvalid, f+".kind", "is required")
	default:
		return models.FieldError(models.EInvalid, f+".kind", "%q is not a step kind (%s)", s.Kind, strings.Join(Kinds, ", "))
	}
	return nil
}

func (w *Wait) validate(f string) error {
	if w == nil {
		return models.FieldError(models.EInvalid, f, "is required")
	}
	set := 0
	if w.Seconds != 0 {
		set++
	}
	if w.Field != "" {
		set++
	} else if w.AtTime != "" {
		set++
	}
	if set != 1 {
		return models.FieldError(models.EInvalid, f, "give exactly one of seconds, atTime or field")
	}
	if w.Seconds != 0 && (w.Seconds < 0 || time.Duration(w.Seconds)*time.Second > maxWait) {
		return models.FieldError(models.EInvalid, f+".seconds", "must be between %d and %d", 1, int64(maxWait/time.Second))
	}
	if w.AtTime != "" {
		if _, err := time.Parse("15:04", w.AtTime); err != nil {
			return models.FieldError(models.EInvalid, f+".atTime", "%q is not a time of day HH:MM", w.AtTime)
		}
	}
	if w.Field != "" {
		if w.Field != "case.due_date" && w.Field != "case.promise_date" && !strings.HasPrefix(w.Field, "contact.") {
			return models.FieldError(models.EInvalid, f+".field", "%q is not a date field (case.due_date, case.promise_date, contact.<attribute>)", w.Field)
		}
		if w.OffsetDays < -366 || w.OffsetDays > 366 {
			return models.FieldError(models.EInvalid, f+".offsetDays", "must be between %d and %d", -366, 366)
		}
	}
	return nil
}

// waits reports whether a step always lets time pass before its next one.
func (s Step) waits() bool { return s.Kind == KindWait || s.Kind == KindWaitForReply }

// successors are the steps s may go to ("" is the end of the journey).
func (d Definition) successors(i int) []string {
	s := d.Steps[i]
	next := s.Next
	if next == "" && i+1 < len(d.Steps) {
		next = d.Steps[i+1].ID
	}
	switch s.Kind {
	case KindStop:
		return nil
	case KindWaitForReply, KindAskPromiseDate:
		return []string{next, cmpOr(s.Else, next)}
	case KindBranch:
		out := []string{cmpOr(s.Else, next)}
		for _, r := range s.Rules {
			out = append(out, r.Goto)
		}
		return out
	}
	return []string{next}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loopWithoutWait returns the ids of a cycle whose steps never wait (nil:
// none): such a loop would run as fast as the worker can.
func (d Definition) loopWithoutWait() []string {
	idx := map[string]int{}
	for i, s := range d.Steps {
		idx[s.ID] = i
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(d.Steps))
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		state[i] = onPath
		path = append(path, d.Steps[i].ID)
		for _, id := range d.successors(i) {
			j, ok := idx[id]
			if !ok || d.Steps[j].waits() {
				continue // the end, or a step that waits breaks any loop through it
			}
			switch state[j] {
			case onPath:
				at := slices.Index(path, id)
				return append(slices.Clone(path[at:]), id)
			case unseen:
				if loop := visit(j); loop != nil {
					return loop
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		return nil
	}
	for i, s := range d.Steps {
		if state[i] == unseen && !s.waits() {
			if loop := visit(i); loop != nil {
				return loop
			}
		}
	}
	return nil
}

// StartStep is the id of the first step.
func (d Definition) StartStep() string {
	if d.Start != "" {
		return d.Start
	}
	if len(d.Steps) == 0 {
		return ""
	}
	return d.Steps[0].ID
}

// Step returns the step with id.
func (d Definition) Step(id string) (Step, bool) {
	for _, s := range d.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}
