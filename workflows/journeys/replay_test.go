package journeys_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/workflows"
	wfj "github.com/wabascrm/scrm/workflows/journeys"
)

// Histories of JourneyEnrollmentWorkflow recorded from real runs on the
// end-to-end stack (cmd/scrm TestJourneyButtonReplyEndToEnd with
// SCRM_UPDATE_HISTORIES=1, production Temporal server) must replay against
// today's code: a change that would break in-flight enrollments fails here
// and needs workflow.GetVersion.
func TestReplayJourneyHistories(t *testing.T) {
	t.Parallel()
	for _, file := range []string{
		"journey.json", // send_template -> wait_for_reply -> button "promise" -> branch -> update_case -> stop
	} {
		t.Run(file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(wfj.JourneyEnrollmentWorkflow, workflow.RegisterOptions{Name: workflows.JourneyEnrollmentWorkflowName})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", file)); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
