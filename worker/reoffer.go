package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/inbox"
)

// Reoffer routes waiting conversations again: a conversation that arrived
// while nobody of its team was online (or everyone was at capacity) stays
// in the team's queue, and is assigned, longest waiting first, as soon as
// an agent is online with room. It polls the queue (an indexed query that
// is empty most of the time) instead of hooking presence and capacity
// changes in every place they happen.
type Reoffer struct {
	Store   inbox.ConversationStore
	Router  activities.InboxStore
	Changed func(ctx context.Context, c models.Conversation) error // tells the conversation's workflow
	Every   time.Duration                                          // 1 s when zero
	Logger  *slog.Logger
}

// Run re-offers until ctx is done.
func (r Reoffer) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("re-offer waiting conversations", "err", err)
		}
	}
}

// Once offers each waiting conversation once and returns how many were
// assigned. A team whose agents are all busy is skipped for the rest of
// the pass, so its queue keeps its order.
func (r Reoffer) Once(ctx context.Context) (int, error) {
	waiting, err := r.Store.Waiting(ctx, 100)
	if err != nil {
		return 0, err
	}
	full := map[int64]bool{}
	assigned := 0
	for _, w := range waiting {
		if full[w.TeamID] {
			continue
		}
		res, err := r.Router.Route(ctx, w.ID)
		if err != nil {
			return assigned, err
		}
		if res.AgentID == 0 {
			full[w.TeamID] = true
			continue
		}
		assigned++
		if r.Changed != nil {
			if c, err := r.Store.Get(ctx, w.ID); err == nil {
				if err := r.Changed(ctx, c); err != nil {
					r.Logger.Warn("re-offer: tell the conversation's workflow", "err", err, "conversation", w.ID)
				}
			}
		}
	}
	return assigned, nil
}
