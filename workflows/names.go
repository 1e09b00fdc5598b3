// Package workflows holds the deterministic Temporal workflow code of the
// product. Names that clients and ops need (task queue, IDs, signals,
// queries, search attributes) live here beside the workflows.
package workflows

import (
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/wabascrm/scrm/models/campaigns"
	"github.com/wabascrm/scrm/models/cases"
)

// DefaultTaskQueue is the queue scrm worker serves unless configured otherwise.
const DefaultTaskQueue = "scrm"

// ProbeWorkflowID returns the ID of a probe run.
func ProbeWorkflowID(key string) string { return "probe:" + key }

// Search attributes the project registers itself (no personal data).
const (
	SACaseStatus         = "CaseStatus"
	SAConversationStatus = "ConversationStatus"
	SAAgentID            = "AgentID"
	SATeamID             = "TeamID"
	SASenderID           = "SenderID"
	SACampaignID         = "CampaignID"
	SABucket             = "Bucket"
	SAJourneyID          = "JourneyID"
)

// SearchAttributes lists every custom search attribute with its type.
// scrm dev and the deploy job register exactly these.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SACaseStatus:         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAConversationStatus: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAAgentID:            enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SATeamID:             enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SASenderID:           enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SACampaignID:         enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SABucket:             enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SAJourneyID:          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// ConversationWorkflowID is the ID of the workflow that governs the 24h
// window of one (sender, contact) conversation.
func ConversationWorkflowID(senderID, contactID int64) string {
	return "conv:" + strconv.FormatInt(senderID, 10) + ":" + strconv.FormatInt(contactID, 10)
}

// Conversation workflow names.
const (
	ConversationWorkflowName = "ConversationWorkflow"
	// SignalConversationInbound tells the workflow a customer message opened
	// (or re-opened) the window. Ordinary inbound messages inside an open
	// window are NOT signalled: the workflow re-reads last_inbound_at when its
	// timer fires.
	SignalConversationInbound = "inbound"
	// SignalConversationSend queues an outbound message (already stored as a
	// queued row) to be sent in order.
	SignalConversationSend = "send"
	// SignalConversationChanged says the assignee/team/status changed in
	// PostgreSQL (assign, transfer, resolve): the workflow reloads and
	// updates its search attributes.
	SignalConversationChanged = "changed"
	// QueryConversationState returns ConversationState.
	QueryConversationState = "state"
)

// MediaFetchWorkflowID is the ID of the workflow that fetches the file of
// one inbound media row (media.id).
func MediaFetchWorkflowID(mediaID int64) string { return "media:" + strconv.FormatInt(mediaID, 10) }

// MediaFetchWorkflowName is the registered name of MediaFetchWorkflow.
const MediaFetchWorkflowName = "MediaFetchWorkflow"

// CaseWorkflowID is the ID of the workflow that owns one case's lifecycle.
func CaseWorkflowID(caseID int64) string { return "case:" + strconv.FormatInt(caseID, 10) }

// Case workflow names. Assign/recall/transfer/close/outcome are updates so
// the caller learns at once whether the change was accepted.
const (
	CaseWorkflowName       = "CaseWorkflow"
	UpdateCaseAssign       = cases.CaseUpdateAssign
	UpdateCaseRecall       = cases.CaseUpdateRecall
	UpdateCaseTransfer     = cases.CaseUpdateTransfer
	UpdateCaseClose        = cases.CaseUpdateClose
	UpdateCaseOutcome      = cases.CaseUpdateOutcome
	UpdateCaseClaim        = cases.CaseUpdateClaim
	SignalCaseCustomerSaid = "customer_replied"
	QueryCaseState         = "state"
)

// IntakeWorkflowID is the ID of the workflow that imports one intake job.
func IntakeWorkflowID(jobID int64) string { return "intake:" + strconv.FormatInt(jobID, 10) }

// Contact intake workflow names.
const (
	IntakeWorkflowName = "ContactIntakeWorkflow"
	// QueryIntakeProgress returns models.IntakeProgress.
	QueryIntakeProgress = "progress"
	// SignalIntakeCancel stops the import after the chunk in flight.
	SignalIntakeCancel = "cancel"
)

// CampaignWorkflowID is the ID of the workflow that runs one campaign.
func CampaignWorkflowID(campaignID int64) string {
	return "campaign:" + strconv.FormatInt(campaignID, 10)
}

// Campaign workflow names.
const (
	CampaignWorkflowName = "CampaignWorkflow"
	// SignalCampaignPause stops sending after the batch in flight;
	// SignalCampaignResume continues; SignalCampaignCancel ends the run
	// (recipients not yet sent stay queued and are never sent).
	SignalCampaignPause  = campaigns.CampaignActionPause
	SignalCampaignResume = campaigns.CampaignActionResume
	SignalCampaignCancel = campaigns.CampaignActionCancel
	// QueryCampaignProgress returns CampaignProgress.
	QueryCampaignProgress = "progress"
)

// SenderWorkflowID is the ID of the workflow that dispatches everything one
// number sends to campaigns' recipients.
func SenderWorkflowID(senderID int64) string { return "sender:" + strconv.FormatInt(senderID, 10) }

// Sender workflow names.
const (
	SenderWorkflowName = "SenderWorkflow"
	// SignalSenderWake says recipients were queued (or the number's state
	// changed): drain now instead of at the next re-check.
	SignalSenderWake = "wake"
	// QuerySenderState returns SenderState.
	QuerySenderState = "state"
)

// Sender dispatch states (SenderState.Status).
const (
	SenderSending = "sending"
	SenderIdle    = "idle"
	SenderWaiting = "waiting" // for the next queued moment (quiet hours)
	SenderPaused  = "paused"  // RED quality or flagged: until the number recovers
	SenderHeld    = "held"    // warm-up cap, portfolio limit or throughput back-off: until Until
)

// JourneyEnrollmentWorkflowID is the ID of the workflow that runs one
// enrollment of a journey (ops filter a journey's by SAJourneyID).
func JourneyEnrollmentWorkflowID(journeyID, enrollmentID int64) string {
	return "journey:" + strconv.FormatInt(journeyID, 10) + ":" + strconv.FormatInt(enrollmentID, 10)
}

// Journey enrollment workflow names.
const (
	JourneyEnrollmentWorkflowName = "JourneyEnrollmentWorkflow"
	// SignalJourneyReply carries the customer's reply (JourneyReply).
	SignalJourneyReply = "reply"
	// SignalJourneyExit ends the enrollment (JourneyExit: opt-out, case
	// closed, manual).
	SignalJourneyExit = "exit"
	// QueryJourneyState returns JourneyState.
	QueryJourneyState = "state"
)
