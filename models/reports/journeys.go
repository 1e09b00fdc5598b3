package reports

import (
	"context"
	"fmt"

	"github.com/wabascrm/scrm/models"
)

// JourneyRow is one counter of one step of a journey's version in the
// range: entered, sent, replied, branched (detail: the step it went to),
// exited (detail: why), as the journey's page counts them.
type JourneyRow struct {
	JourneyID int64  `json:"journeyId"`
	Name      string `json:"name"`
	Version   int    `json:"version"`
	StepID    string `json:"stepId"`
	Counter   string `json:"counter"`
	Detail    string `json:"detail,omitempty"`
	N         int64  `json:"n"`
}

// journeys reads the journeys' step funnels of the range
// (report_journey_daily, migration 00300). Journey rows belong to no team or
// agent: a report scoped to some (a supervisor's, an agent's, or filtered
// by team or agent) has none of them, as it has no campaign rows without a
// team; the number filter applies.
func (s ReportStore) journeys(ctx context.Context, p models.Principal, f Filter) ([]JourneyRow, error) {
	out := []JourneyRow{}
	if !p.AllScope || f.TeamID != 0 || f.AgentID != 0 {
		return out, nil
	}
	args := map[string]any{}
	w := where(p, f, "day", "sender", args)
	if err := s.DB.WithContext(ctx).Raw(`SELECT r.journey_id, COALESCE(j.name, '') AS name, r.version, r.step_id, r.counter, r.detail, r.n
		FROM (SELECT journey_id, version, step_id, counter, detail, sum(n)::bigint AS n FROM report_journey_daily WHERE `+w+`
			GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0) r
		LEFT JOIN journeys j ON j.id = r.journey_id
		ORDER BY r.journey_id DESC, r.version, r.step_id, r.counter, r.detail LIMIT 5000`, args).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("report journeys: %w", err)
	}
	return out, nil
}
