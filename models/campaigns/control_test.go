package campaigns

import (
	"errors"
	"testing"

	"github.com/wabascrm/scrm/models"
)

// Every operator action from every status: what is stored, whether the
// workflow is started or signalled, and which combinations are refused.
func TestPlanCampaignAction(t *testing.T) {
	launch, pause, resume, cancel := CampaignActionLaunch, CampaignActionPause, CampaignActionResume, CampaignActionCancel
	for _, tc := range []struct {
		status, action string
		want           CampaignStep
		conflict       string // the 409 message, empty when allowed
	}{
		{CampaignDraft, launch, CampaignStep{SetStatus: CampaignScheduled, Reason: "launched", Start: true}, ""},
		{CampaignScheduled, launch, CampaignStep{Start: true}, ""},
		{CampaignRunning, launch, CampaignStep{Start: true}, ""},
		{CampaignPaused, launch, CampaignStep{}, "campaign is paused: only a draft can be launched"},
		{CampaignCompleted, launch, CampaignStep{}, "campaign is completed: only a draft can be launched"},
		{CampaignCancelled, launch, CampaignStep{}, "campaign is cancelled: only a draft can be launched"},
		{CampaignFailed, launch, CampaignStep{}, "campaign is failed: only a draft can be launched"},

		{CampaignDraft, pause, CampaignStep{}, "campaign is draft: cannot pause"},
		{CampaignScheduled, pause, CampaignStep{Signal: true}, ""},
		{CampaignRunning, pause, CampaignStep{Signal: true}, ""},
		{CampaignPaused, pause, CampaignStep{Signal: true}, ""},
		{CampaignCompleted, pause, CampaignStep{}, "campaign is completed: cannot pause"},

		{CampaignDraft, resume, CampaignStep{}, "campaign is draft: cannot resume"},
		{CampaignPaused, resume, CampaignStep{Signal: true}, ""},
		{CampaignRunning, resume, CampaignStep{Signal: true}, ""},
		{CampaignCancelled, resume, CampaignStep{}, "campaign is cancelled: cannot resume"},

		{CampaignDraft, cancel, CampaignStep{SetStatus: CampaignCancelled, Reason: "cancelled before launch"}, ""},
		{CampaignScheduled, cancel, CampaignStep{Signal: true}, ""},
		{CampaignRunning, cancel, CampaignStep{Signal: true}, ""},
		{CampaignPaused, cancel, CampaignStep{Signal: true}, ""},
		{CampaignCancelled, cancel, CampaignStep{}, "campaign is cancelled: cannot cancel"},
		{CampaignCompleted, cancel, CampaignStep{}, "campaign is completed: cannot cancel"},
		{CampaignFailed, cancel, CampaignStep{}, "campaign is failed: cannot cancel"},

		{CampaignRunning, "explode", CampaignStep{}, "campaign is running: cannot explode"},
	} {
		got, err := PlanCampaignAction(tc.status, tc.action)
		if tc.conflict != "" {
			var me *models.Error
			if models.CodeOf(err) != models.EConflict || !errors.As(err, &me) || me.Message != tc.conflict || me.Field != "status" {
				t.Errorf("%s %s: err %v, want 409 %q", tc.action, tc.status, err, tc.conflict)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %+v %v, want %+v", tc.action, tc.status, got, err, tc.want)
		}
		// A stored status must itself be an allowed move.
		if got.SetStatus != "" && !CampaignCanMove(tc.status, got.SetStatus) {
			t.Errorf("%s %s: plans %s, which the transition rule refuses", tc.action, tc.status, got.SetStatus)
		}
	}
}
