package cases

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/wabascrm/scrm/models"
)

// Case statuses (the CaseWorkflow owns the lifecycle).
const (
	CasePooled     = "pooled"
	CaseAssigned   = "assigned"
	CaseInProgress = "in_progress"
	CaseExited     = "exited"
)

// CaseExitReasons are the reasons a case may leave the system with.
var CaseExitReasons = []string{"resolved", "paid", "expired", "recalled", "transferred", "invalid"}

// CaseOutcomes are the outcomes an agent may record on a case.
var CaseOutcomes = []string{"promise_to_pay", "contacted", "no_answer", "refused", "wrong_number", "paid_partial", "callback"}

// CaseBuckets in order of age.
var CaseBuckets = []string{"B0", "B1", "B2", "B3", "B4"}

// Bucket maps days past due to the collection bucket: B0 current (not past
// due), B1 1-30, B2 31-60, B3 61-90, B4 over 90.
func Bucket(dpd int) string {
	switch {
	case dpd <= 0:
		return "B0"
	case dpd <= 30:
		return "B1"
	case dpd <= 60:
		return "B2"
	case dpd <= 90:
		return "B3"
	}
	return "B4"
}

// BucketDPD is the inclusive DPD range of a bucket (max -1: unbounded;
// min for B0 is unbounded below). ok is false for an unknown bucket.
func BucketDPD(b string) (lo, hi int, ok bool) {
	switch b {
	case "B0":
		return -1 << 30, 0, true
	case "B1":
		return 1, 30, true
	case "B2":
		return 31, 60, true
	case "B3":
		return 61, 90, true
	case "B4":
		return 91, 1 << 30, true
	}
	return 0, 0, false
}

// DPD is the number of days past due at now (0 without a due date; negative
// before it falls due).
func DPD(due *time.Time, now time.Time) int {
	if due == nil {
		return 0
	}
	d := time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC)
	n := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return int(n.Sub(d).Hours() / 24)
}

// Case is one row of cases plus derived DPD and bucket.
type Case struct {
	ID           int64           `json:"id"`
	Reference    string          `json:"reference"`
	ContactID    *int64          `json:"contactId"`
	Amount       int64           `json:"amount"`
	Outstanding  int64           `json:"outstanding"`
	DueDate      *time.Time      `json:"dueDate" gorm:"type:date"`
	Product      string          `json:"product"`
	CustomFields json.RawMessage `json:"customFields" gorm:"type:jsonb"`
	TeamID       int64           `json:"teamId"`
	AgentID      *int64          `json:"agentId"`
	Status       string          `json:"status"`
	ExitReason   *string         `json:"exitReason"`
	FollowUpAt   *time.Time      `json:"followUpAt"`
	Overdue      bool            `json:"overdue"`
	Outcome      string          `json:"outcome"`
	OutcomeNote  string          `json:"outcomeNote"`
	PromiseDate  *time.Time      `json:"promiseDate" gorm:"type:date"`
	AssignedAt   *time.Time      `json:"assignedAt"`
	ExitedAt     *time.Time      `json:"exitedAt"`
	CreatedAt    time.Time       `json:"createdAt"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	DPD          int             `json:"dpd" gorm:"-"`
	Bucket       string          `json:"bucket" gorm:"-"`
	History      []CaseHistory   `json:"history,omitempty" gorm:"-"`
	// The customer and the latest conversation with them, read with the
	// case by List and Get (caseWithContact) so a case row shows whom it is
	// about and links to the chat.
	ContactName    string `json:"contactName,omitempty" gorm:"->"`
	ContactPhone   string `json:"contactPhone,omitempty" gorm:"->"`
	ConversationID *int64 `json:"conversationId,omitempty" gorm:"->"`
	// The case's team's timings (teams.case_expiry_hours, ...), read by the
	// transitions the CaseWorkflow runs and handed to it in the snapshot.
	teamTimings caseTimings
}

type caseTimings struct {
	ExpiryHours   int
	FollowUpHours int
}

// TableName is the GORM table.
func (Case) TableName() string { return "cases" }

func (c *Case) derive(now time.Time) {
	c.DPD = DPD(c.DueDate, now)
	c.Bucket = Bucket(c.DPD)
}

// Audience is who hears about the case: its agent and its team.
func (c Case) Audience() models.Audience {
	a := models.Audience{TeamIDs: []int64{c.TeamID}}
	if c.AgentID != nil {
		a.AgentIDs = []int64{*c.AgentID}
	}
	return a
}

// CaseHistory is one transition of a case.
type CaseHistory struct {
	ID         int64     `json:"id"`
	CaseID     int64     `json:"caseId"`
	FromStatus string    `json:"fromStatus"`
	ToStatus   string    `json:"toStatus"`
	FromAgent  *int64    `json:"fromAgentId"`
	ToAgent    *int64    `json:"toAgentId"`
	FromTeam   *int64    `json:"fromTeamId"`
	ToTeam     *int64    `json:"toTeamId"`
	Reason     string    `json:"reason"`
	Note       string    `json:"note"`
	ByAgentID  *int64    `json:"byAgentId"`
	At         time.Time `json:"at"`
}

// TableName is the GORM table.
func (CaseHistory) TableName() string { return "case_history" }

// CaseSnapshot is a case as the CaseWorkflow sees it.
type CaseSnapshot struct {
	ID         int64
	Status     string
	TeamID     int64
	AgentID    int64
	Bucket     string
	ExitReason string
	// The team's case timings in hours; 0: the worker's defaults.
	ExpiryHours   int
	FollowUpHours int
}

// CaseAssignResult is the outcome of an automatic assignment from the pool.
type CaseAssignResult struct {
	AgentID  int64 // 0: stays pooled (manual strategy or nobody with capacity)
	Strategy string
	Reason   string
}

// CaseChange is one transition requested of the store; By is the acting
// agent (0 for the system).
type CaseChange struct {
	CaseID  int64
	AgentID int64
	TeamID  int64
	Reason  string
	Note    string
	By      int64
	// FromPool: assign only a case still in the pool (a claim: two agents
	// taking the same case, the second is refused instead of taking it over).
	FromPool bool
	// Outcome fields.
	Outcome     string
	PromiseDate time.Time
}

// ValidExitReason reports whether r is an exit reason.
func ValidExitReason(r string) bool { return slices.Contains(CaseExitReasons, r) }

// ValidOutcome reports whether o is a known outcome.
func ValidOutcome(o string) bool { return slices.Contains(CaseOutcomes, o) }

// CaseAssign, CaseRecall, CaseTransfer, CaseClose and CaseOutcome are the
// CaseWorkflow update arguments.
type CaseAssign struct{ AgentID, By int64 }

// CaseClaim is an agent taking a pooled case for itself.
type CaseClaim struct{ AgentID int64 }
type CaseRecall struct {
	Reason string
	By     int64
}
type CaseTransfer struct{ TeamID, By int64 }
type CaseClose struct {
	Reason string
	By     int64
}
type CaseOutcome struct {
	Outcome     string // e.g. promise_to_pay, no_answer, refused, contacted
	PromiseDate time.Time
	Note        string
	By          int64
}

// CaseWorkflow update names (workflows uses the same constants).
const (
	CaseUpdateAssign   = "assign"
	CaseUpdateRecall   = "recall"
	CaseUpdateTransfer = "transfer"
	CaseUpdateClose    = "close"
	CaseUpdateOutcome  = "outcome"
	// CaseUpdateClaim: an agent takes a pooled case of its own team.
	CaseUpdateClaim = "claim"
)

// RedistributeProgress is the progress of a bulk redistribution.
type RedistributeProgress struct {
	TeamID     int64  `json:"teamId"`
	AgentID    int64  `json:"agentId"`
	Seen       int    `json:"seen"`
	Recalled   int    `json:"recalled"`
	Reassigned int    `json:"reassigned"`
	LeftPooled int    `json:"leftPooled"`
	Skipped    int    `json:"skipped"`
	Failed     int    `json:"failed"`
	LastCaseID int64  `json:"lastCaseId"`
	Done       bool   `json:"done"`
	LastError  string `json:"lastError,omitempty"`
}
