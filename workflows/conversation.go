package workflows

import (
	"errors"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/sla"
)

// ConversationConfig holds the timings of the window lifecycle. Zero values
// take the defaults below.
type ConversationConfig struct {
	Window           time.Duration // customer-service window, 24h
	ClosingWarning   time.Duration // "window closing" this long before the end, 1h
	AutoResolveAfter time.Duration // resolve after this much idle time; 0 disables
	// ContinueAfterEvents bounds the history: past this many events, or this
	// many sends in one run, or when the server suggests it, the workflow
	// continues as new, carrying its queue.
	ContinueAfterEvents int
	ContinueAfterSends  int
}

func (c ConversationConfig) withDefaults() ConversationConfig {
	c.Window = models.WindowLength(c.Window)
	if c.ClosingWarning <= 0 || c.ClosingWarning >= c.Window {
		c.ClosingWarning = time.Hour
	}
	if c.ContinueAfterEvents <= 0 {
		c.ContinueAfterEvents = 4000
	}
	if c.ContinueAfterSends <= 0 {
		c.ContinueAfterSends = 300
	}
	return c
}

// ConversationInput starts (or continues) the workflow.
type ConversationInput struct {
	ConversationID int64
	SenderID       int64
	ContactID      int64
	Config         ConversationConfig
	// Carried across continue-as-new.
	Pending        []int64 // queued outbound message ids, in order
	Routed         bool
	ClosingSent    bool // "closing" published for the current window end
	ClosedSent     bool // "closed" published for the current window end
	WindowEnd      time.Time
	Sent, Failed   int
	ContinuedTimes int
}

// InboundSignal says a customer message opened the window.
type InboundSignal struct {
	MessageID int64
	At        time.Time
}

// SendSignal queues one outbound message row.
type SendSignal struct {
	MessageID int64
}

// ConversationState is the query answer (and ops' view in the Temporal UI).
type ConversationState struct {
	ConversationID int64
	Status         string
	AssigneeID     int64
	TeamID         int64
	WindowOpen     bool
	WindowEnd      time.Time
	Pending        []int64
	InFlight       int64
	Sent, Failed   int
	ContinuedTimes int
}

// sendRetry retries transient send errors only; SendMessage reports
// permanent Meta errors as a failed result, never as an error.
var sendRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
	MaximumAttempts:    8,
}

// ConversationWorkflow governs one conversation's 24-hour window: routing a
// new conversation, ordered outbound sends, "closing"/"closed" events at the
// right times, auto-resolve, and its search attributes.
func ConversationWorkflow(ctx workflow.Context, in ConversationInput) error {
	w := &conversation{in: in, cfg: in.Config.withDefaults()}
	return w.run(ctx)
}

type conversation struct {
	in       ConversationInput
	cfg      ConversationConfig
	snap     activities.ConversationSnapshot
	inFlight int64
	handled  int // sends finished in this run
	acts     *activities.Conversation
	// upserted is the search-attribute tuple last written, so a reload that
	// changes nothing adds no history event.
	upserted [4]string
	// snoozeTimer (version snooze-wake-timer >= 1): a snoozed conversation
	// keeps the run alive with a durable timer to its wake time.
	snoozeTimer bool
	// slaTimers (version sla-timers >= 1): a durable timer to the
	// customer's wait nearing and breaching its team's target.
	slaTimers bool
}

// slaNext is the next SLA moment the run waits for (zero: none).
func (w *conversation) slaNext() time.Time {
	if !w.slaTimers {
		return time.Time{}
	}
	return w.snap.SLAWait().Next()
}

// checkSLA records the near-breach or breach due now, once.
func (w *conversation) checkSLA(ctx workflow.Context, now time.Time) error {
	if !w.slaTimers {
		return nil
	}
	level := w.snap.SLAWait().Due(now)
	if level == "" {
		return nil
	}
	rec := activities.SLARecord{ConversationID: w.in.ConversationID, WaitSince: w.snap.SLAWaitSince, Level: level, At: now}
	if err := workflow.ExecuteActivity(w.short(ctx), w.acts.RecordSLA, rec).Get(ctx, nil); err != nil {
		return err
	}
	// Recorded now or before (or the wait ended meanwhile): not again.
	w.snap.SLANearSent = true
	w.snap.SLABreached = w.snap.SLABreached || level == sla.LevelBreach
	return nil
}

// snoozed reports the wake time the run waits for (zero: none).
func (w *conversation) snoozed() time.Time {
	if !w.snoozeTimer || w.snap.Status != "snoozed" {
		return time.Time{}
	}
	return w.snap.SnoozedUntil
}

func (w *conversation) short(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
}

func (w *conversation) state() ConversationState {
	return ConversationState{
		ConversationID: w.in.ConversationID,
		Status:         w.snap.Status,
		AssigneeID:     w.snap.AssigneeID,
		TeamID:         w.snap.TeamID,
		WindowOpen:     !w.in.ClosedSent && !w.in.WindowEnd.IsZero(),
		WindowEnd:      w.in.WindowEnd,
		Pending:        append([]int64(nil), w.in.Pending...),
		InFlight:       w.inFlight,
		Sent:           w.in.Sent,
		Failed:         w.in.Failed,
		ContinuedTimes: w.in.ContinuedTimes,
	}
}

// reload re-reads the conversation and moves the window end forward when a
// later inbound message extended it (no signal needed for that).
func (w *conversation) reload(ctx workflow.Context) error {
	var s activities.ConversationSnapshot
	if err := workflow.ExecuteActivity(w.short(ctx), w.acts.LoadConversation, w.in.ConversationID).Get(ctx, &s); err != nil {
		return err
	}
	w.snap = s
	if !s.LastInboundAt.IsZero() {
		end := models.WindowEnd(&s.LastInboundAt, w.cfg.Window)
		if end.After(w.in.WindowEnd) {
			opened := w.in.WindowEnd.IsZero() || w.in.ClosedSent
			w.in.WindowEnd = end
			if !workflow.Now(ctx).Before(end) {
				// A run started for a business-initiated send after the
				// window ended: there is no window to announce.
				w.in.ClosingSent, w.in.ClosedSent = true, true
			} else {
				w.in.ClosingSent, w.in.ClosedSent = false, false
				if opened {
					w.publish(ctx, activities.WindowOpened)
				}
			}
		}
	}
	w.upsertSearchAttributes(ctx)
	return nil
}

func (w *conversation) publish(ctx workflow.Context, kind string) {
	ev := activities.WindowEvent{ConversationID: w.in.ConversationID, Kind: kind, ClosesAt: w.in.WindowEnd}
	if err := workflow.ExecuteActivity(w.short(ctx), w.acts.PublishWindowEvent, ev).Get(ctx, nil); err != nil {
		// A lost push is not a lost message: clients resync from PostgreSQL.
		workflow.GetLogger(ctx).Warn("window event not published", "kind", kind, "err", err)
	}
}

func (w *conversation) upsertSearchAttributes(ctx workflow.Context) {
	status := w.snap.Status
	if status == "" {
		status = "open"
	}
	cur := [4]string{itoa(w.in.SenderID), itoa(w.snap.AssigneeID), itoa(w.snap.TeamID), status}
	// Version 1 skips unchanged upserts; histories recorded before keep
	// replaying with an upsert on every reload.
	if workflow.GetVersion(ctx, "upsert-search-attributes-on-change", workflow.DefaultVersion, 1) >= 1 && cur == w.upserted {
		return
	}
	w.upserted = cur
	_ = workflow.UpsertTypedSearchAttributes(ctx,
		temporal.NewSearchAttributeKeyKeyword(SASenderID).ValueSet(itoa(w.in.SenderID)),
		temporal.NewSearchAttributeKeyKeyword(SAAgentID).ValueSet(itoa(w.snap.AssigneeID)),
		temporal.NewSearchAttributeKeyKeyword(SATeamID).ValueSet(itoa(w.snap.TeamID)),
		temporal.NewSearchAttributeKeyKeyword(SAConversationStatus).ValueSet(status),
	)
}

func (w *conversation) run(ctx workflow.Context) error {
	log := workflow.GetLogger(ctx)
	inboundCh := workflow.GetSignalChannel(ctx, SignalConversationInbound)
	sendCh := workflow.GetSignalChannel(ctx, SignalConversationSend)
	changedCh := workflow.GetSignalChannel(ctx, SignalConversationChanged)
	if err := workflow.SetQueryHandler(ctx, QueryConversationState, func() (ConversationState, error) {
		return w.state(), nil
	}); err != nil {
		return err
	}
	// Version 1 wakes a snoozed conversation at its time (histories recorded
	// before replay without the timer).
	w.snoozeTimer = workflow.GetVersion(ctx, "snooze-wake-timer", workflow.DefaultVersion, 1) >= 1
	// Version 1 arms SLA timers (histories recorded before replay without).
	w.slaTimers = workflow.GetVersion(ctx, "sla-timers", workflow.DefaultVersion, 1) >= 1

	if err := w.reload(ctx); err != nil {
		return err
	}
	if !w.in.Routed {
		if w.snap.AssigneeID == 0 {
			var r activities.RouteResult
			if err := workflow.ExecuteActivity(w.short(ctx), w.acts.RouteConversation, w.in.ConversationID).Get(ctx, &r); err != nil {
				return err
			}
			w.snap.AssigneeID, w.snap.TeamID = r.AgentID, r.TeamID
			if w.slaTimers {
				w.snap.SLAState = r.SLAState
			}
			w.upsertSearchAttributes(ctx)
		}
		w.in.Routed = true
	}

	var sendFuture workflow.Future
	for {
		now := workflow.Now(ctx)
		if sendFuture == nil && w.shouldContinue(ctx) {
			return w.continueAsNew(ctx, inboundCh, sendCh, changedCh)
		}
		// Start the next send when none is in flight: one at a time keeps order.
		if sendFuture == nil && len(w.in.Pending) > 0 {
			w.inFlight, w.in.Pending = w.in.Pending[0], w.in.Pending[1:]
			sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: sendRetry})
			sendFuture = workflow.ExecuteActivity(sctx, w.acts.SendMessage, w.inFlight)
		}

		idle := sendFuture == nil && len(w.in.Pending) == 0
		windowDone := w.in.WindowEnd.IsZero() || w.in.ClosedSent
		resolved := w.snap.Status == "resolved" || w.cfg.AutoResolveAfter <= 0
		noSignals := inboundCh.Len()+sendCh.Len()+changedCh.Len() == 0
		if idle && windowDone && resolved && noSignals && w.snoozed().IsZero() && w.slaNext().IsZero() {
			// Nothing left to govern: the next window opens a new run.
			log.Info("conversation workflow done", "sent", w.in.Sent, "failed", w.in.Failed)
			return nil
		}

		// The next moment something is due: closing warning, window end, auto-resolve.
		var due time.Time
		consider := func(t time.Time) {
			if !t.IsZero() && (due.IsZero() || t.Before(due)) {
				due = t
			}
		}
		if !w.in.WindowEnd.IsZero() && !w.in.ClosingSent {
			consider(w.in.WindowEnd.Add(-w.cfg.ClosingWarning))
		}
		if !w.in.WindowEnd.IsZero() && !w.in.ClosedSent {
			consider(w.in.WindowEnd)
		}
		if w.cfg.AutoResolveAfter > 0 && w.snap.Status != "resolved" {
			last := w.snap.LastActivityAt
			if last.IsZero() {
				last = now
			}
			consider(last.Add(w.cfg.AutoResolveAfter))
		}
		consider(w.snoozed())
		consider(w.slaNext())

		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		fired := false
		if !due.IsZero() {
			d := due.Sub(now)
			if d < 0 {
				d = 0
			}
			sel.AddFuture(workflow.NewTimer(timerCtx, d), func(f workflow.Future) {
				if f.Get(ctx, nil) == nil {
					fired = true
				}
			})
		}
		var inbound, changed bool
		sel.AddReceive(inboundCh, func(c workflow.ReceiveChannel, _ bool) {
			var s InboundSignal
			c.Receive(ctx, &s)
			inbound = true
		})
		sel.AddReceive(changedCh, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			changed = true
		})
		sel.AddReceive(sendCh, func(c workflow.ReceiveChannel, _ bool) {
			var s SendSignal
			c.Receive(ctx, &s)
			w.in.Pending = append(w.in.Pending, s.MessageID)
		})
		var sendDone bool
		var sendRes activities.SendResult
		var sendErr error
		if sendFuture != nil {
			sel.AddFuture(sendFuture, func(f workflow.Future) {
				sendErr = f.Get(ctx, &sendRes)
				sendDone = true
			})
		}
		sel.Select(ctx)
		cancelTimer()

		switch {
		case sendDone:
			id := w.inFlight
			sendFuture, w.inFlight = nil, 0
			w.handled++
			if sendErr != nil {
				// Transient errors outlasted the retry policy: fail that message, keep going.
				w.in.Failed++
				reason := "send failed after retries: " + rootMessage(sendErr)
				if err := workflow.ExecuteActivity(w.short(ctx), w.acts.MarkSendFailed, id, reason).Get(ctx, nil); err != nil {
					return err
				}
			} else if sendRes.Status == "failed" {
				w.in.Failed++
			} else {
				w.in.Sent++
			}
		case inbound, changed:
			if err := w.reload(ctx); err != nil {
				return err
			}
		case fired:
			// Re-read last_inbound_at: ordinary inbound messages extend the
			// window without signalling us.
			if err := w.reload(ctx); err != nil {
				return err
			}
			now = workflow.Now(ctx)
			if until := w.snoozed(); !until.IsZero() && !now.Before(until) {
				var woke bool
				if err := workflow.ExecuteActivity(w.short(ctx), w.acts.WakeSnoozed, w.in.ConversationID, until).Get(ctx, &woke); err != nil {
					return err
				}
				// Woken, or snoozed again until later: the next reload says which.
				if err := w.reload(ctx); err != nil {
					return err
				}
				if !woke && !w.snoozed().IsZero() && !w.snoozed().After(until) {
					// The store refused to wake at this time (a clock skew
					// between the worker and PostgreSQL): wait a little
					// instead of spinning.
					w.snap.SnoozedUntil = until.Add(time.Minute)
				}
			}
			if err := w.checkSLA(ctx, now); err != nil {
				return err
			}
			if !w.in.WindowEnd.IsZero() && !w.in.ClosingSent && !now.Before(w.in.WindowEnd.Add(-w.cfg.ClosingWarning)) && now.Before(w.in.WindowEnd) {
				w.in.ClosingSent = true
				w.publish(ctx, activities.WindowClosing)
			}
			if !w.in.WindowEnd.IsZero() && !w.in.ClosedSent && !now.Before(w.in.WindowEnd) {
				w.in.ClosingSent, w.in.ClosedSent = true, true
				w.publish(ctx, activities.WindowClosed)
			}
			if w.cfg.AutoResolveAfter > 0 && w.snap.Status != "resolved" && !w.snap.LastActivityAt.IsZero() &&
				!now.Before(w.snap.LastActivityAt.Add(w.cfg.AutoResolveAfter)) {
				var done bool
				if err := workflow.ExecuteActivity(w.short(ctx), w.acts.AutoResolve, w.in.ConversationID, w.cfg.AutoResolveAfter).Get(ctx, &done); err != nil {
					return err
				}
				if done {
					w.snap.Status = "resolved"
					w.upsertSearchAttributes(ctx)
				}
			}
		}
	}
}

func (w *conversation) shouldContinue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return w.handled >= w.cfg.ContinueAfterSends ||
		info.GetCurrentHistoryLength() > w.cfg.ContinueAfterEvents ||
		info.GetContinueAsNewSuggested()
}

// continueAsNew carries the queue (and any signals already delivered) into
// a fresh run so a long-lived conversation keeps a small history.
func (w *conversation) continueAsNew(ctx workflow.Context, inboundCh, sendCh, changedCh workflow.ReceiveChannel) error {
	for {
		var s SendSignal
		if !sendCh.ReceiveAsync(&s) {
			break
		}
		w.in.Pending = append(w.in.Pending, s.MessageID)
	}
	// The next run reloads from PostgreSQL first, which covers these.
	for inboundCh.ReceiveAsync(nil) || changedCh.ReceiveAsync(nil) {
	}
	next := w.in
	next.ContinuedTimes++
	return workflow.NewContinueAsNewError(ctx, ConversationWorkflow, next)
}

func rootMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// itoa renders an id for a keyword search attribute; 0 (none) is empty.
func itoa(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}
