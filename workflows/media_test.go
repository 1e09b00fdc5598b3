package workflows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/workflows"
)

// A fetch that keeps failing is retried by the policy (each attempt asks
// Graph for a fresh URL) and, once given up, recorded as failed with the
// reason; a fetch that succeeds after transient failures is stored.
func TestMediaFetchWorkflow(t *testing.T) {
	t.Parallel()
	var a *activities.MediaFetch
	t.Run("stored after retries", func(t *testing.T) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.RegisterActivity(a)
		calls := 0
		env.OnActivity(a.FetchInboundMedia, mock.Anything, activities.MediaFetchInput{MediaID: 7}).Return(
			func(_ context.Context, _ activities.MediaFetchInput) (activities.MediaFetchResult, error) {
				calls++
				if calls < 3 {
					return activities.MediaFetchResult{}, errors.New("graph: 503")
				}
				return activities.MediaFetchResult{Status: "stored"}, nil
			})
		env.ExecuteWorkflow(workflows.MediaFetchWorkflow, activities.MediaFetchInput{MediaID: 7})
		var res activities.MediaFetchResult
		if err := env.GetWorkflowResult(&res); err != nil || res.Status != "stored" || calls != 3 {
			t.Fatalf("result %+v, %v after %d calls", res, err, calls)
		}
	})
	t.Run("given up", func(t *testing.T) {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestWorkflowEnvironment()
		env.RegisterActivity(a)
		calls := 0
		env.OnActivity(a.FetchInboundMedia, mock.Anything, mock.Anything).Return(
			func(_ context.Context, _ activities.MediaFetchInput) (activities.MediaFetchResult, error) {
				calls++
				return activities.MediaFetchResult{}, errors.New("connection refused")
			})
		var failed activities.MediaFailedInput
		env.OnActivity(a.MarkMediaFailed, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.MediaFailedInput) error {
			failed = in
			return nil
		})
		env.ExecuteWorkflow(workflows.MediaFetchWorkflow, activities.MediaFetchInput{MediaID: 9})
		var res activities.MediaFetchResult
		if err := env.GetWorkflowResult(&res); err != nil || res.Status != "failed" {
			t.Fatalf("result %+v, %v", res, err)
		}
		if calls != 16 || failed.MediaID != 9 || !strings.Contains(failed.Reason, "connection refused") {
			t.Fatalf("%d attempts, recorded %+v", calls, failed)
		}
	})
}
