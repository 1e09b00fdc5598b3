package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/workflows"
)

// Histories recorded from real runs (cmd/scrm end-to-end tests with
// SCRM_UPDATE_HISTORIES=1; templatesync.json from the `scrm dev` test, the
// only one running the real worker's template-sync loop) must replay against today's code: a change that
// would break in-flight workflows fails here and needs workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		fn   any
		name string
	}{
		"conversation.json":    {workflows.ConversationWorkflow, workflows.ConversationWorkflowName}, // before upsert-on-change
		"conversation_v1.json": {workflows.ConversationWorkflow, workflows.ConversationWorkflowName}, // before the snooze timer
		"conversation_v2.json": {workflows.ConversationWorkflow, workflows.ConversationWorkflowName}, // a snooze's run: its timer and WakeSnoozed
		"conversation_v3.json": {workflows.ConversationWorkflow, workflows.ConversationWorkflowName}, // SLA timers: near, breach, a next wait (TestWebUIFloorSLA)
		"case.json":            {workflows.CaseWorkflow, workflows.CaseWorkflowName},
		"campaign_v1.json":     {workflows.CampaignWorkflow, workflows.CampaignWorkflowName}, // before sender dispatch
		"campaign_v2.json":     {workflows.CampaignWorkflow, workflows.CampaignWorkflowName}, // before the CampaignID search attribute
		"campaign_v3.json":     {workflows.CampaignWorkflow, workflows.CampaignWorkflowName},
		"sender.json":          {workflows.SenderWorkflow, workflows.SenderWorkflowName},
		"intake.json":          {workflows.ContactIntakeWorkflow, workflows.IntakeWorkflowName},
		"redistribute.json":    {workflows.RedistributeWorkflow, workflows.RedistributeWorkflowName},
		"templatesync.json":    {workflows.TemplateSyncWorkflow, workflows.TemplateSyncWorkflowName}, // running: one pass, then its timer
	}
	for file, c := range cases {
		t.Run(file, func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(c.fn, workflow.RegisterOptions{Name: c.name})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", file)); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
