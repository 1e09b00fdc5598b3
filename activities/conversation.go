package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models/sla"
)

// ConversationSnapshot is what the ConversationWorkflow reads from PostgreSQL.
type ConversationSnapshot struct {
	ID             int64
	SenderID       int64
	ContactID      int64
	Status         string // open|pending|resolved|snoozed
	AssigneeID     int64
	TeamID         int64
	LastInboundAt  time.Time // zero when the customer never wrote
	LastActivityAt time.Time // last message either way
	SnoozedUntil   time.Time // when a snoozed conversation wakes (zero: not snoozed)
	SLAState
}

// SLAState is the customer's current wait against the team's SLA
// (models/sla): zero SLADueAt when nobody waits or the team sets no target.
type SLAState struct {
	SLAWaitSince time.Time
	SLANearAt    time.Time
	SLADueAt     time.Time
	SLANearSent  bool
	SLABreached  bool
}

// RouteResult is the outcome of routing a new conversation.
type RouteResult struct {
	AgentID  int64 // 0: left unassigned in the team queue (manual strategy, nobody available)
	TeamID   int64
	Strategy string
	Reason   string
	// The wait armed with the team just routed to (its policy may differ
	// from none before routing).
	SLAState
}

// SendResult is the outcome of one outbound send. A permanent failure from
// Meta is a result (Status "failed"), not an activity error: it fails that
// message, never the workflow.
type SendResult struct {
	MessageID   int64
	Wamid       string
	Status      string // sent|failed
	ErrorCode   int
	ErrorReason string
	// Held: Meta accepted it but holds it for its template's quality
	// assessment (template pacing); it may still be dropped.
	Held bool `json:",omitempty"`
}

// Window event kinds.
const (
	WindowOpened  = "opened"
	WindowClosing = "closing"
	WindowClosed  = "closed"
)

// WindowEvent is published to agents when the window opens, is about to
// close, or closes.
type WindowEvent struct {
	ConversationID int64
	Kind           string
	ClosesAt       time.Time
}

// ConversationStore is the PostgreSQL side the conversation activities need.
type ConversationStore interface {
	Snapshot(ctx context.Context, id int64) (ConversationSnapshot, error)
	// Route assigns a new conversation by its team's strategy, atomically.
	Route(ctx context.Context, id int64) (RouteResult, error)
	// ResolveIfIdle resolves the conversation only if nothing happened for idle.
	ResolveIfIdle(ctx context.Context, id int64, idle time.Duration) (bool, error)
	PublishWindow(ctx context.Context, ev WindowEvent) error
	// WakeSnoozed reopens the conversation if it is still snoozed until no
	// later than until (a later snooze set meanwhile is left alone).
	WakeSnoozed(ctx context.Context, id int64, until time.Time) (bool, error)
}

// OutboundSender sends queued message rows exactly once each.
type OutboundSender interface {
	SendQueued(ctx context.Context, messageID int64) (SendResult, error)
	MarkFailed(ctx context.Context, messageID int64, reason string) error
}

// SLAStore arms and records the customer's wait (models/sla.WaitStore).
type SLAStore interface {
	Arm(ctx context.Context, id int64) (sla.Wait, error)
	Record(ctx context.Context, id int64, since time.Time, level string, at time.Time) (bool, error)
}

// Conversation holds the dependencies of the conversation activities.
type Conversation struct {
	Store  ConversationStore
	Sender OutboundSender
	SLA    SLAStore // nil: no SLA timers
}

// SLARecord is one near-breach or breach the workflow's timer found due.
type SLARecord struct {
	ConversationID int64
	WaitSince      time.Time
	Level          string // sla.LevelNear | sla.LevelBreach
	At             time.Time
}

// LoadConversation reads the conversation's current state.
func (a *Conversation) LoadConversation(ctx context.Context, id int64) (ConversationSnapshot, error) {
	s, err := a.Store.Snapshot(ctx, id)
	if err != nil {
		return s, fmt.Errorf("load conversation %d: %w", id, err)
	}
	if a.SLA != nil {
		w, err := a.SLA.Arm(ctx, id)
		if err != nil {
			return s, fmt.Errorf("sla of conversation %d: %w", id, err)
		}
		s.SLAState = slaState(w)
	}
	return s, nil
}

func slaState(w sla.Wait) SLAState {
	return SLAState{SLAWaitSince: w.Since, SLANearAt: w.NearAt, SLADueAt: w.DueAt, SLANearSent: w.NearSent, SLABreached: w.Breached}
}

// RecordSLA records a near-breach or breach once and alerts the team's
// supervisors and the agent serving. False: the wait was answered (or
// recorded) meanwhile.
func (a *Conversation) RecordSLA(ctx context.Context, in SLARecord) (bool, error) {
	if a.SLA == nil {
		return false, nil
	}
	return a.SLA.Record(ctx, in.ConversationID, in.WaitSince, in.Level, in.At)
}

// RouteConversation assigns a new conversation.
func (a *Conversation) RouteConversation(ctx context.Context, id int64) (RouteResult, error) {
	r, err := a.Store.Route(ctx, id)
	if err != nil {
		return r, fmt.Errorf("route conversation %d: %w", id, err)
	}
	if a.SLA != nil {
		w, err := a.SLA.Arm(ctx, id)
		if err != nil {
			return r, fmt.Errorf("sla of conversation %d: %w", id, err)
		}
		r.SLAState = slaState(w)
	}
	return r, nil
}

// WakeSnoozed reopens a snoozed conversation whose time came.
func (a *Conversation) WakeSnoozed(ctx context.Context, id int64, until time.Time) (bool, error) {
	ok, err := a.Store.WakeSnoozed(ctx, id, until)
	if err != nil {
		return false, fmt.Errorf("wake conversation %d: %w", id, err)
	}
	return ok, nil
}

// SendMessage sends one queued message. Transient errors are returned (the
// workflow's retry policy retries them); permanent ones come back as a
// failed SendResult.
func (a *Conversation) SendMessage(ctx context.Context, messageID int64) (SendResult, error) {
	return a.Sender.SendQueued(ctx, messageID)
}

// MarkSendFailed records that a message could not be sent after all retries.
func (a *Conversation) MarkSendFailed(ctx context.Context, messageID int64, reason string) error {
	return a.Sender.MarkFailed(ctx, messageID, reason)
}

// PublishWindowEvent tells agents about the window.
func (a *Conversation) PublishWindowEvent(ctx context.Context, ev WindowEvent) error {
	return a.Store.PublishWindow(ctx, ev)
}

// AutoResolve resolves the conversation if it has been idle for idle.
func (a *Conversation) AutoResolve(ctx context.Context, id int64, idle time.Duration) (bool, error) {
	return a.Store.ResolveIfIdle(ctx, id, idle)
}

// SLAWait is the snapshot's wait in the rule's terms (models/sla.Wait).
func (s SLAState) SLAWait() sla.Wait {
	return sla.Wait{Since: s.SLAWaitSince, NearAt: s.SLANearAt, DueAt: s.SLADueAt, NearSent: s.SLANearSent, Breached: s.SLABreached}
}
