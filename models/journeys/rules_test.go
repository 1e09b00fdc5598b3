package journeys

import (
	"errors"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

// collections is the 3-step journey: reminder, wait for a reply
// for a day, follow-up to those who did not answer, promise to pay for
// those who tapped "saya akan bayar".
func collections() Definition {
	return Definition{Steps: []Step{
		{ID: "remind", Kind: KindSendTemplate, TemplateID: 7, Variables: map[string]string{"body.1": "contact.name|Bapak/Ibu"}},
		{ID: "reply", Kind: KindWaitForReply, TimeoutSeconds: 86400, Next: "route", Else: "follow"},
		{ID: "route", Kind: KindBranch, Rules: []BranchRule{{On: OnButton, Value: "PAY", Goto: "promise"}}, Else: "agent"},
		{ID: "promise", Kind: KindUpdateCase, Action: CaseActionPromise, PromiseDays: 3, Next: "agent"},
		{ID: "agent", Kind: KindAssign, TeamID: 2, Next: "end"},
		{ID: "follow", Kind: KindSendTemplate, TemplateID: 8, Next: "end"},
		{ID: "end", Kind: KindStop},
	}}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	with := func(f func(d *Definition)) Definition { d := collections(); f(&d); return d }
	cases := []struct {
		name  string
		def   Definition
		field string // "" = valid
	}{
		{"collections", collections(), ""},
		{"every kind", Definition{Steps: []Step{
			{ID: "a", Kind: KindSendTemplate, TemplateID: 1},
			{ID: "b", Kind: KindWait, Wait: &Wait{Seconds: 60}},
			{ID: "c", Kind: KindWait, Wait: &Wait{AtTime: "09:30"}},
			{ID: "d", Kind: KindWait, Wait: &Wait{Field: "case.due_date", OffsetDays: -1, AtTime: "10:00"}},
			{ID: "e", Kind: KindWaitForReply, TimeoutSeconds: 3600},
			{ID: "f", Kind: KindBranch, Rules: []BranchRule{{On: OnNoReply, Goto: "h"}, {On: OnAttribute, Attribute: "tier", Value: "gold", Goto: "g"}}},
			{ID: "g", Kind: KindAssign, AgentID: 4},
			{ID: "h", Kind: KindSetAttribute, Attribute: "journey", Value: "done"},
			{ID: "i", Kind: KindTag, Tag: "reminded"},
			{ID: "j", Kind: KindStop},
		}}, ""},
		{"no steps", Definition{}, "steps"},
		{"unknown kind", with(func(d *Definition) { d.Steps[0].Kind = "sms" }), "steps[0].kind"},
		{"missing kind", with(func(d *Definition) { d.Steps[0].Kind = "" }), "steps[0].kind"},
		{"missing id", with(func(d *Definition) { d.Steps[1].ID = " " }), "steps[1].id"},
		{"duplicate id", with(func(d *Definition) { d.Steps[2].ID = "remind" }), "steps[2].id"},
		{"dangling next", with(func(d *Definition) { d.Steps[5].Next = "nowhere" }), "steps[5].next"},
		{"dangling else", with(func(d *Definition) { d.Steps[1].Else = "nowhere" }), "steps[1].else"},
		{"dangling goto", with(func(d *Definition) { d.Steps[2].Rules[0].Goto = "nowhere" }), "steps[2].rules[0].goto"},
		{"dangling start", with(func(d *Definition) { d.Start = "nowhere" }), "start"},
		{"template missing", with(func(d *Definition) { d.Steps[0].TemplateID = 0 }), "steps[0].templateId"},
		{"empty variable", with(func(d *Definition) { d.Steps[0].Variables["body.2"] = "" }), "steps[0].variables"},
		{"reply timeout", with(func(d *Definition) { d.Steps[1].TimeoutSeconds = 0 }), "steps[1].timeoutSeconds"},
		{"branch without rules", with(func(d *Definition) { d.Steps[2].Rules = nil }), "steps[2].rules"},
		{"unknown condition", with(func(d *Definition) { d.Steps[2].Rules[0].On = "maybe" }), "steps[2].rules[0].on"},
		{"button without payload", with(func(d *Definition) { d.Steps[2].Rules[0].Value = "" }), "steps[2].rules[0].value"},
		{"attribute without name", with(func(d *Definition) { d.Steps[2].Rules[0] = BranchRule{On: OnAttribute, Value: "x", Goto: "end"} }), "steps[2].rules[0].attribute"},
		{"goto missing", with(func(d *Definition) { d.Steps[2].Rules[0].Goto = "" }), "steps[2].rules[0].goto"},
		{"assign both", with(func(d *Definition) { d.Steps[4].AgentID = 3 }), "steps[4].agentId"},
		{"assign none", with(func(d *Definition) { d.Steps[4].TeamID = 0 }), "steps[4].agentId"},
		{"case action", with(func(d *Definition) { d.Steps[3].Action = "close" }), "steps[3].action"},
		{"promise days", with(func(d *Definition) { d.Steps[3].PromiseDays = 91 }), "steps[3].promiseDays"},
		{"attribute name", Definition{Steps: []Step{{ID: "a", Kind: KindSetAttribute}}}, "steps[0].attribute"},
		{"tag name", Definition{Steps: []Step{{ID: "a", Kind: KindTag}}}, "steps[0].tag"},
		{"wait missing", Definition{Steps: []Step{{ID: "a", Kind: KindWait}}}, "steps[0].wait"},
		{"wait two ends", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{Seconds: 5, AtTime: "09:00"}}}}, "steps[0].wait"},
		{"wait negative", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{Seconds: -5}}}}, "steps[0].wait.seconds"},
		{"wait too long", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{Seconds: 400 * 86400}}}}, "steps[0].wait.seconds"},
		{"wait bad clock", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{AtTime: "25:00"}}}}, "steps[0].wait.atTime"},
		{"wait bad field", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{Field: "case.amount"}}}}, "steps[0].wait.field"},
		{"wait field clock", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{Field: "contact.birthday", AtTime: "9am"}}}}, "steps[0].wait.atTime"},
		{"wait offset", Definition{Steps: []Step{{ID: "a", Kind: KindWait, Wait: &Wait{Field: "case.due_date", OffsetDays: 400}}}}, "steps[0].wait.offsetDays"},
		{"loop without wait", Definition{Steps: []Step{
			{ID: "a", Kind: KindSendTemplate, TemplateID: 1},
			{ID: "b", Kind: KindTag, Tag: "x", Next: "a"},
		}}, "steps"},
		{"branch loop without wait", Definition{Steps: []Step{
			{ID: "w", Kind: KindWaitForReply, TimeoutSeconds: 60},
			{ID: "b", Kind: KindBranch, Rules: []BranchRule{{On: OnReply, Goto: "b2"}}},
			{ID: "b2", Kind: KindBranch, Rules: []BranchRule{{On: OnNoReply, Goto: "b"}}, Else: "w"},
		}}, "steps"},
		{"self loop", Definition{Steps: []Step{{ID: "a", Kind: KindTag, Tag: "x", Next: "a"}}}, "steps"},
		{"loop through a wait", Definition{Steps: []Step{
			{ID: "a", Kind: KindSendTemplate, TemplateID: 1},
			{ID: "w", Kind: KindWait, Wait: &Wait{Seconds: 3600}, Next: "a"},
		}}, ""},
		{"too many steps", Definition{Steps: make([]Step, MaxSteps+1)}, "steps"},
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
			if !errors.As(err, &me) {
				t.Fatalf("want a field error on %s, got %v", c.field, err)
			}
			if me.Field != c.field || me.Code != models.EInvalid {
				t.Fatalf("want %s on %s, got %s on %s (%s)", models.EInvalid, c.field, me.Code, me.Field, me.Message)
			}
		})
	}
}

func TestValidateNamesTheLoop(t *testing.T) {
	t.Parallel()
	err := Definition{Steps: []Step{
		{ID: "w", Kind: KindWait, Wait: &Wait{Seconds: 1}},
		{ID: "a", Kind: KindTag, Tag: "x"},
		{ID: "b", Kind: KindTag, Tag: "y", Next: "a"},
	}}.Validate()
	var me *models.Error
	if !errors.As(err, &me) || me.Message != "steps a -> b -> a loop without a wait" {
		t.Fatalf("got %v", err)
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	d := collections()
	d.Steps = append(d.Steps[:6:6],
		Step{ID: "kw", Kind: KindBranch, Rules: []BranchRule{
			{On: OnKeyword, Value: "akan bayar", Goto: "promise"},
			{On: OnAttribute, Attribute: "tier", Value: "Gold", Goto: "agent"},
			{On: OnReply, Goto: "follow"},
		}},
		Step{ID: "end", Kind: KindStop},
		Step{ID: "last", Kind: KindTag, Tag: "t"},
	)
	cases := []struct {
		name string
		step string
		o    Outcome
		want Transition
	}{
		{"send goes to the following step", "remind", Outcome{}, Transition{To: "reply", Via: ViaNext}},
		{"reply", "reply", Outcome{Replied: true}, Transition{To: "route", Via: ViaReply}},
		{"no reply goes to else", "reply", Outcome{TimedOut: true}, Transition{To: "follow", Via: ViaTimeout}},
		{"button payload", "route", Outcome{Replied: true, Payload: " pay "}, Transition{To: "promise", Via: ViaRule}},
		{"other button goes to else", "route", Outcome{Replied: true, Payload: "LATER"}, Transition{To: "agent", Via: ViaElse}},
		{"button needs a reply", "route", Outcome{Payload: "PAY"}, Transition{To: "agent", Via: ViaElse}},
		{"keyword as words", "kw", Outcome{Replied: true, Text: "Ya, saya AKAN bayar besok!"}, Transition{To: "promise", Via: ViaRule}},
		{"keyword is not a substring", "kw", Outcome{Replied: true, Text: "akan bayarlah"}, Transition{To: "follow", Via: ViaRule, Rule: 2}},
		{"attribute", "kw", Outcome{Attributes: map[string]string{"tier": "gold"}}, Transition{To: "agent", Via: ViaRule, Rule: 1}},
		{"no rule holds: branch's next", "kw", Outcome{}, Transition{To: "end", Via: ViaElse}},
		{"explicit next", "follow", Outcome{}, Transition{To: "end", Via: ViaNext}},
		{"stop ends", "end", Outcome{Replied: true}, Transition{Via: ViaStop}},
		{"last step completes", "last", Outcome{}, Transition{Via: ViaNext}},
		{"unknown step stops", "ghost", Outcome{}, Transition{Via: ViaStop}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := d.Next(c.step, c.o); got != c.want {
				t.Fatalf("Next(%s) = %+v, want %+v", c.step, got, c.want)
			}
		})
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("the table's definition is invalid: %v", err)
	}
}

func TestWaitUntil(t *testing.T) {
	t.Parallel()
	wib := models.LoadZone(models.TZWIB)
	wit := models.LoadZone(models.TZWIT)
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, wib) // Tuesday noon WIB
	due := time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		w     Wait
		loc   *time.Location
		field time.Time
		want  time.Time
	}{
		{"duration", Wait{Seconds: 86400}, wib, time.Time{}, now.Add(24 * time.Hour)},
		{"time of day later today", Wait{AtTime: "15:30"}, wib, time.Time{}, time.Date(2026, 3, 10, 15, 30, 0, 0, wib)},
		{"time of day passed: tomorrow", Wait{AtTime: "09:00"}, wib, time.Time{}, time.Date(2026, 3, 11, 9, 0, 0, 0, wib)},
		{"time of day now: tomorrow", Wait{AtTime: "12:00"}, wib, time.Time{}, time.Date(2026, 3, 11, 12, 0, 0, 0, wib)},
		{"time of day in the customer's zone", Wait{AtTime: "13:00"}, wit, time.Time{}, time.Date(2026, 3, 11, 13, 0, 0, 0, wit)}, // 14:00 WIT now: 13:00 WIB would be today
		{"due date minus a day at 09:00", Wait{Field: "case.due_date", OffsetDays: -1}, wib, due, time.Date(2026, 3, 14, 9, 0, 0, 0, wib)},
		{"due date at a time", Wait{Field: "case.due_date", AtTime: "10:15"}, wit, due, time.Date(2026, 3, 15, 10, 15, 0, 0, wit)},
		{"passed date ends now", Wait{Field: "case.due_date", OffsetDays: -10}, wib, due, now},
		{"empty field ends now", Wait{Field: "case.due_date"}, wib, time.Time{}, now},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := WaitUntil(c.w, now, c.loc, c.field); !got.Equal(c.want) {
				t.Fatalf("WaitUntil = %s, want %s", got, c.want)
			}
		})
	}
}

func TestPromiseDate(t *testing.T) {
	t.Parallel()
	wib := models.LoadZone(models.TZWIB)
	late := time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC) // 01:00 on the 11th in Jakarta
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	cases := []struct {
		name    string
		days    int
		payload string
		want    time.Time
	}{
		{"days after the local date", 3, "", day("2026-03-14")},
		{"days win over the payload", 1, "promise:2026-04-01", day("2026-03-12")},
		{"the payload's date", 0, " promise:2026-04-01 ", day("2026-04-01")},
		{"a bad payload: today", 0, "promise:soon", day("2026-03-11")},
		{"no payload: today", 0, "PAY", day("2026-03-11")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PromiseDate(Step{Kind: KindUpdateCase, Action: CaseActionPromise, PromiseDays: c.days}, late, wib, c.payload)
			if !got.Equal(c.want) {
				t.Fatalf("PromiseDate = %s, want %s", got, c.want)
			}
		})
	}
}
