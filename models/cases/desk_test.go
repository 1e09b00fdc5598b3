package cases

import (
	"testing"

	"github.com/wabascrm/scrm/models"
)

// The request rules of case actions, without a database or a workflow.
func TestCaseUpdateRules(t *testing.T) {
	long := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'x'
		}
		return string(b)
	}
	for _, tc := range []struct {
		name      string
		err       error
		wantField string // "" when accepted
	}{
		{"assign ok", second(AssignUpdate(7, 1)), ""},
		{"assign no agent", second(AssignUpdate(0, 1)), "agentId"},
		{"recall no reason", second(RecallUpdate("", 1)), ""},
		{"recall 200", second(RecallUpdate(long(200), 1)), ""},
		{"recall 201", second(RecallUpdate(long(201), 1)), "reason"},
		{"transfer ok", second(TransferUpdate(3, 1)), ""},
		{"transfer no team", second(TransferUpdate(-1, 1)), "teamId"},
		{"close resolved", second(CloseUpdate("resolved", 1)), ""},
		{"close unknown", second(CloseUpdate("bored", 1)), "reason"},
		{"outcome no answer", second(OutcomeUpdate("no_answer", "", "", 1)), ""},
		{"outcome unknown", second(OutcomeUpdate("maybe", "", "", 1)), "outcome"},
		{"outcome long note", second(OutcomeUpdate("no_answer", "", long(2001), 1)), "note"},
		{"outcome bad date", second(OutcomeUpdate("promise_to_pay", "31/01/2026", "", 1)), "promiseDate"},
		{"promise without date", second(OutcomeUpdate("promise_to_pay", "", "", 1)), "promiseDate"},
		{"promise with date", second(OutcomeUpdate("promise_to_pay", "2026-01-31", "", 1)), ""},
		{"redistribute team", RedistributeTarget(4, 0), ""},
		{"redistribute agent", RedistributeTarget(0, 9), ""},
		{"redistribute neither", RedistributeTarget(0, 0), "teamId"},
		{"redistribute both", RedistributeTarget(4, 9), "teamId"},
		{"redistribute negative", RedistributeTarget(-4, 9), "teamId"},
	} {
		if tc.wantField == "" {
			if tc.err != nil {
				t.Errorf("%s: %v", tc.name, tc.err)
			}
			continue
		}
		var me *models.Error
		if models.CodeOf(tc.err) != models.EInvalid || !asModelError(tc.err, &me) || me.Field != tc.wantField {
			t.Errorf("%s: %v, want invalid %s", tc.name, tc.err, tc.wantField)
		}
	}
	if o, _ := OutcomeUpdate("promise_to_pay", "2026-01-31", "n", 5); o.PromiseDate.Format("2006-01-02") != "2026-01-31" || o.By != 5 {
		t.Errorf("outcome = %+v", o)
	}
}

func second[T any](_ T, err error) error { return err }

func asModelError(err error, dst **models.Error) bool {
	e, ok := err.(*models.Error)
	*dst = e
	return ok
}
