package deploy

import (
	"strings"
	"testing"

	"github.com/wabascrm/scrm/workflows"
)

// The operations guide documents every search attribute and workflow ID ops
// filter by.
func TestOperationsDocCoversSearchAttributes(t *testing.T) {
	doc := readFile(t, repoRoot+"/docs/operations.md")
	for name := range workflows.SearchAttributes() {
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("docs/operations.md does not document search attribute %s", name)
		}
	}
	for _, id := range []string{workflows.CaseWorkflowID(42), workflows.ConversationWorkflowID(7, 1093)} {
		if !strings.Contains(doc, "WorkflowId = '"+id+"'") {
			t.Errorf("docs/operations.md has no example query for workflow ID %s", id)
		}
	}
	for _, name := range []string{workflows.CaseWorkflowName, workflows.ConversationWorkflowName} {
		if !strings.Contains(doc, "WorkflowType = '"+name+"'") {
			t.Errorf("docs/operations.md has no example query for %s", name)
		}
	}
}
