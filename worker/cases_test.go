package worker

import (
	"errors"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
)

// Errors take the path they take in production (failure proto and back)
// before mapping to the API's codes.
func TestCaseUpdateError(t *testing.T) {
	t.Parallel()
	fc := temporal.GetDefaultFailureConverter()
	roundTrip := func(err error) error { return fc.FailureToError(fc.ErrorToFailure(err)) }
	// What an update handler returns when its activity failed: an activity
	// failure whose cause is the store's rule violation.
	activityFailure := func(cause error) error {
		return fc.FailureToError(&failurepb.Failure{
			Message:     "activity error",
			FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{ActivityType: &commonpb.ActivityType{Name: "AssignCase"}}},
			Cause:       fc.ErrorToFailure(cause),
		})
	}
	for _, tc := range []struct {
		name  string
		err   error
		code  models.ErrorCode
		field string
	}{
		{"rule violation from the store", roundTrip(temporal.NewNonRetryableApplicationError("agent 5 is disabled", activities.BusinessErrorType, nil, "unprocessable", "agentId")), models.EUnprocessable, "agentId"},
		{"rule violation inside an activity failure", activityFailure(temporal.NewNonRetryableApplicationError("agent 5 is at capacity", activities.BusinessErrorType, nil, "unprocessable", "agentId")), models.EUnprocessable, "agentId"},
		{"not found from the store", roundTrip(temporal.NewNonRetryableApplicationError("team 9 not found", activities.BusinessErrorType, nil, "not_found", "teamId")), models.ENotFound, "teamId"},
		{"validator: exited", roundTrip(errors.New("case 5 has exited (paid)")), models.EConflict, ""},
		{"validator: not assigned", roundTrip(errors.New("case is not assigned")), models.EConflict, ""},
		{"validator: bad input", roundTrip(errors.New("agentId is required")), models.EUnprocessable, "agentId"},
		{"no workflow", serviceerror.NewNotFound("workflow not found"), models.ENotFound, ""},
	} {
		err := caseUpdateError(5, tc.err)
		var de *models.Error
		if !errors.As(err, &de) || de.Code != tc.code || de.Field != tc.field {
			t.Errorf("%s: got %v (%#v)", tc.name, err, de)
		}
	}
	if caseUpdateError(5, nil) != nil {
		t.Error("nil error mapped")
	}
	if err := caseUpdateError(5, errors.New("connection refused")); models.CodeOf(err) != models.EInternal && models.CodeOf(err) != "" {
		t.Errorf("transport error: %v", models.CodeOf(err))
	}
}
