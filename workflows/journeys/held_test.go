package journeys_test

import (
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/journeys"
	wfj "github.com/wabascrm/scrm/workflows/journeys"
)

// A send its number may not make now (warm-up day spent, portfolio limit)
// is held until the moment the budget says, with one timer: tried once at
// 12:00 and again at 15:00 when the portfolio's oldest reach ages out, not
// every 10 minutes in between; the held step is counted entered once and
// the template goes out once.
func TestJourneyHeldSendWaitsForTheBudget(t *testing.T) {
	f := newJourneyFake(journeys.Definition{Steps: []journeys.Step{
		{ID: "remind", Kind: journeys.KindSendTemplate, TemplateID: 7},
		{ID: "end", Kind: journeys.KindStop},
	}})
	start := time.Date(2026, 3, 10, 12, 0, 0, 0, jakarta)
	until := time.Date(2026, 3, 10, 15, 0, 0, 0, jakarta)
	f.holdUntil = until
	env := journeyEnv(t, f, start)
	st := runJourney(t, env, wfj.JourneyInput{EnrollmentID: 1, PauseRecheck: 10 * time.Minute})
	if st.Status != journeys.EnrollmentCompleted || st.Held || st.Sent != 1 {
		t.Fatalf("state %+v", st)
	}
	if f.holds != 1 {
		t.Fatalf("the held send was tried %d times before 15:00, want once", f.holds)
	}
	if at := f.sentAt(); len(at) != 1 || !at[0].Equal(until) {
		t.Fatalf("sent at %v, want once at %s", at, until)
	}
	wantFunnel(t, f, map[string]int{"remind/entered/": 1, "remind/sent/": 1, "end/entered/": 1})
}
