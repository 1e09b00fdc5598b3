// Package sla holds the response-time targets of each team (first response
// of an episode, next response after an agent answered), counted in the
// team's business hours, and the breaches of them. The customer's current
// wait is kept on the conversation row by the triggers of migration 00230;
// the ConversationWorkflow arms a durable timer from Arm and records what
// fired with Record, so nothing polls every conversation.
package sla

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/models/reports"
)

// AuditPolicyPut and AuditPolicyDelete are the audit actions of policy changes.
const (
	AuditPolicyPut    = "sla.policy_put"
	AuditPolicyDelete = "sla.policy_delete"
)

// Kinds of wait and levels of alert.
const (
	KindFirst   = "first"
	KindNext    = "next"
	LevelNear   = "near"
	LevelBreach = "breach"
)

// MinTarget is the shortest target a policy accepts: shorter ones alert on
// every message before a human can read it.
const MinTarget = 10 * time.Second

// Policy is one team's targets. A target of 0 means none of that kind.
type Policy struct {
	TeamID            int64  `json:"teamId" gorm:"primaryKey"`
	Enabled           bool   `json:"enabled"`
	FirstResponseSecs int    `json:"firstResponseSecs"`
	NextResponseSecs  int    `json:"nextResponseSecs"`
	NearBreachPct     int    `json:"nearBreachPct"`
	BusinessHours     bool   `json:"businessHours"`
	Zone              string `json:"zone"`
	// AgentZone counts the hours in the zone of the agent serving the
	// conversation when she has one (Zone otherwise, and while queued).
	AgentZone bool             `json:"agentZone"`
	WorkDays  models.Int64List `json:"workDays"`
	DayStart  int              `json:"dayStart"` // minutes of the local day
	DayEnd    int              `json:"dayEnd"`
	UpdatedAt time.Time        `json:"updatedAt"`
}

// TableName implements gorm's Tabler.
func (Policy) TableName() string { return "sla_policies" }

// Hours are the policy's counting hours (nil: the wall clock).
func (p Policy) Hours() *reports.BusinessHours {
	if !p.BusinessHours {
		return nil
	}
	days := make([]int, len(p.WorkDays))
	for i, d := range p.WorkDays {
		days[i] = int(d)
	}
	return &reports.BusinessHours{Zone: models.LoadZone(p.Zone), WorkDays: days, StartMin: p.DayStart, EndMin: p.DayEnd}
}

// For is the policy as it counts a wait served by an agent in agentZone
// ("" when unassigned or the agent has no zone of her own).
func (p Policy) For(agentZone string) Policy {
	// agents.zone is checked when written (models.CheckZone); not again
	// here, once per waiting customer on every floor read.
	if p.AgentZone && agentZone != "" {
		p.Zone = agentZone
	}
	return p
}

// Target is the policy's target for a kind of wait (0: none).
func (p Policy) Target(kind string) time.Duration {
	if !p.Enabled {
		return 0
	}
	if kind == KindNext {
		return time.Duration(p.NextResponseSecs) * time.Second
	}
	return time.Duration(p.FirstResponseSecs) * time.Second
}

// Moments are when a wait that began at since nears and breaches its
// target; both zero when the policy sets none for its kind. THE SLA rule:
// the workflow's timers, the floor's clocks and the tests all use it.
func (p Policy) Moments(kind string, since time.Time) (near, due time.Time) {
	t := p.Target(kind)
	if t <= 0 {
		return time.Time{}, time.Time{}
	}
	nearT := t * time.Duration(p.NearBreachPct) / 100
	if h := p.Hours(); h != nil {
		return reports.BusinessAdd(since, nearT, *h), reports.BusinessAdd(since, t, *h)
	}
	return since.Add(nearT), since.Add(t)
}

// PolicyInput is a policy as an admin or a team's supervisor writes it.
type PolicyInput struct {
	Enabled           *bool   `json:"enabled"`
	FirstResponseSecs int     `json:"firstResponseSecs"`
	NextResponseSecs  int     `json:"nextResponseSecs"`
	NearBreachPct     int     `json:"nearBreachPct"`
	BusinessHours     *bool   `json:"businessHours"`
	Zone              string  `json:"zone"`
	AgentZone         bool    `json:"agentZone"`
	WorkDays          []int64 `json:"workDays"`
	DayStart          *int    `json:"dayStart"`
	DayEnd            *int    `json:"dayEnd"`
}

const maxTargetSecs = 30 * 24 * 3600

// policy validates in and fills the defaults (enabled, 80%, business
// hours Monday-Friday 08:00-17:00 Asia/Jakarta).
func (in PolicyInput) policy(teamID int64) (Policy, error) {
	p := Policy{TeamID: teamID, Enabled: true, FirstResponseSecs: in.FirstResponseSecs, NextResponseSecs: in.NextResponseSecs,
		NearBreachPct: in.NearBreachPct, BusinessHours: true, Zone: in.Zone, AgentZone: in.AgentZone, WorkDays: in.WorkDays, DayStart: 8 * 60, DayEnd: 17 * 60}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if in.BusinessHours != nil {
		p.BusinessHours = *in.BusinessHours
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"firstResponseSecs", p.FirstResponseSecs}, {"nextResponseSecs", p.NextResponseSecs}} {
		if f.v != 0 && (f.v < int(MinTarget/time.Second) || f.v > maxTargetSecs) {
			return p, models.FieldError(models.EInvalid, f.name, "must be 0 (no target) or between %d and %d seconds", int(MinTarget/time.Second), maxTargetSecs)
		}
	}
	if p.FirstResponseSecs == 0 && p.NextResponseSecs == 0 {
		return p, models.FieldError(models.EInvalid, "firstResponseSecs", "a policy needs a first or a next response target")
	}
	if p.NearBreachPct == 0 {
		p.NearBreachPct = 80
	}
	if p.NearBreachPct < 1 || p.NearBreachPct > 99 {
		return p, models.FieldError(models.EInvalid, "nearBreachPct", "must be between 1 and 99")
	}
	if p.Zone == "" {
		p.Zone = "Asia/Jakarta"
	}
	if err := models.CheckZone("zone", p.Zone); err != nil {
		return p, err
	}
	if len(p.WorkDays) == 0 {
		p.WorkDays = []int64{1, 2, 3, 4, 5}
	}
	for _, d := range p.WorkDays {
		if d < 1 || d > 7 {
			return p, models.FieldError(models.EInvalid, "workDays", "days are 1 (Monday) to 7 (Sunday)")
		}
	}
	slices.Sort(p.WorkDays)
	p.WorkDays = slices.Compact(p.WorkDays)
	if in.DayStart != nil {
		p.DayStart = *in.DayStart
	}
	if in.DayEnd != nil {
		p.DayEnd = *in.DayEnd
	}
	if p.DayStart < 0 || p.DayEnd > 1440 || p.DayStart >= p.DayEnd {
		return p, models.FieldError(models.EInvalid, "dayStart", "the working day must start before it ends, within 0-1440 minutes")
	}
	return p, nil
}

// PolicyStore keeps the teams' policies.
type PolicyStore struct {
	DB  *gorm.DB
	Now func() time.Time
}

func (s PolicyStore) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

const policySelect = `team_id, enabled, first_response_secs, next_response_secs, near_breach_pct, business_hours, zone,
	agent_zone, work_days, day_start, day_end, updated_at`

// List returns the policies of the teams p sees.
func (s PolicyStore) List(ctx context.Context, p models.Principal) ([]Policy, error) {
	out := []Policy{}
	q := s.DB.WithContext(ctx).Table("sla_policies").Select(policySelect).Order("team_id")
	if !p.AllScope {
		q = q.Where("team_id IN ?", append(slices.Clone(p.TeamIDs), p.SupervisedTeamIDs...))
	}
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list sla policies: %w", err)
	}
	return out, nil
}

// ForTeam returns a team's policy; ok is false when it has none.
func (s PolicyStore) ForTeam(ctx context.Context, db *gorm.DB, teamID int64) (Policy, bool, error) {
	var out []Policy
	if err := db.WithContext(ctx).Table("sla_policies").Select(policySelect).Where("team_id = ?", teamID).Scan(&out).Error; err != nil {
		return Policy{}, false, fmt.Errorf("sla policy of team %d: %w", teamID, err)
	}
	if len(out) == 0 {
		return Policy{}, false, nil
	}
	return out[0], true, nil
}

// canManage: admins (all scope) and the team's supervisors set its targets.
func canManage(p models.Principal, teamID int64) error {
	if p.AllScope || slices.Contains(p.SupervisedTeamIDs, teamID) {
		return nil
	}
	if p.SeesTeam(teamID) {
		return models.Errorf(models.EForbidden, "only a supervisor of team %d may change its SLA", teamID)
	}
	return models.Errorf(models.ENotFound, "team %d not found", teamID)
}

// Put creates or replaces a team's policy (audited with before and after).
// Running waits take the new targets the next time their workflow looks.
func (s PolicyStore) Put(ctx context.Context, actor models.Principal, teamID int64, in PolicyInput) (Policy, error) {
	if err := canManage(actor, teamID); err != nil {
		return Policy{}, err
	}
	p, err := in.policy(teamID)
	if err != nil {
		return p, err
	}
	p.UpdatedAt = s.now()
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Table("teams").Where("id = ?", teamID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return models.Errorf(models.ENotFound, "team %d not found", teamID)
		}
		before, had, err := s.ForTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO sla_policies (team_id, enabled, first_response_secs, next_response_secs, near_breach_pct,
				business_hours, zone, agent_zone, work_days, day_start, day_end, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (team_id) DO UPDATE SET enabled = EXCLUDED.enabled, first_response_secs = EXCLUDED.first_response_secs,
				next_response_secs = EXCLUDED.next_response_secs, near_breach_pct = EXCLUDED.near_breach_pct,
				business_hours = EXCLUDED.business_hours, zone = EXCLUDED.zone, agent_zone = EXCLUDED.agent_zone, work_days = EXCLUDED.work_days,
				day_start = EXCLUDED.day_start, day_end = EXCLUDED.day_end, updated_at = EXCLUDED.updated_at`,
			teamID, p.Enabled, p.FirstResponseSecs, p.NextResponseSecs, p.NearBreachPct, p.BusinessHours, p.Zone, p.AgentZone,
			p.WorkDays, p.DayStart, p.DayEnd, p.UpdatedAt).Error; err != nil {
			return fmt.Errorf("store sla policy of team %d: %w", teamID, err)
		}
		details := map[string]any{"after": p}
		if had {
			details["before"] = before
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(actor.AgentID, AuditPolicyPut, "team", teamID, details))
	})
	return p, err
}

// Delete removes a team's policy: its waits alert no more.
func (s PolicyStore) Delete(ctx context.Context, actor models.Principal, teamID int64) error {
	if err := canManage(actor, teamID); err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, had, err := s.ForTeam(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if !had {
			return models.Errorf(models.ENotFound, "team %d has no SLA policy", teamID)
		}
		if err := tx.Exec(`DELETE FROM sla_policies WHERE team_id = ?`, teamID).Error; err != nil {
			return fmt.Errorf("delete sla policy of team %d: %w", teamID, err)
		}
		return identity.WriteAudit(ctx, tx, identity.Audit(actor.AgentID, AuditPolicyDelete, "team", teamID, map[string]any{"before": before}))
	})
}
