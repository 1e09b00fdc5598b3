package sla

import (
	"context"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/reports"
)

// FloorStore is the live floor with each waiting customer's SLA moments
// computed from the team's policy at read time, so a wait shows its clock
// the moment it starts (the workflow arms its timers a little later; what
// the floor counts as breached is what the workflow recorded).
type FloorStore struct {
	Reports  reports.ReportStore
	Policies PolicyStore
}

// Floor reads the floor of the teams p supervises.
func (s FloorStore) Floor(ctx context.Context, p models.Principal) (reports.Floor, error) {
	f, err := s.Reports.Floor(ctx, p)
	if err != nil || len(f.Waiting) == 0 {
		return f, err
	}
	policies := map[int64]*Policy{}
	for i := range f.Waiting {
		w := &f.Waiting[i]
		if w.SLAKind == nil {
			continue
		}
		pol, seen := policies[w.TeamID]
		if !seen {
			got, ok, err := s.Policies.ForTeam(ctx, s.Policies.DB, w.TeamID)
			if err != nil {
				return f, err
			}
			if ok {
				pol = &got
			}
			policies[w.TeamID] = pol
		}
		w.SLANearAt, w.SLADueAt = nil, nil
		if pol == nil {
			continue
		}
		if near, due := pol.For(w.AssigneeZone).Moments(*w.SLAKind, w.Since); !due.IsZero() {
			w.SLANearAt, w.SLADueAt = timePtr(near), timePtr(due)
		}
	}
	return f, nil
}

func timePtr(t time.Time) *time.Time { return &t }
