package campaigns

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
)

// MaxStatsDays bounds the period of template stats.
const MaxStatsDays = 365

// TemplateCounts are outcomes of template sends. Each stage includes the
// later ones (a read message was delivered and sent; a reply implies read).
type TemplateCounts struct {
	Total     int64 `json:"total"` // every send attempt in the period
	Queued    int64 `json:"queued"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Read      int64 `json:"read"`
	Replied   int64 `json:"replied"`
	Failed    int64 `json:"failed"`
}

// TemplateRates are shares of Sent (Failed: of Sent+Failed), 0..1.
type TemplateRates struct {
	Delivered float64 `json:"delivered"`
	Read      float64 `json:"read"`
	Replied   float64 `json:"replied"`
	Failed    float64 `json:"failed"`
}

// TemplateDay is one local day (Asia/Jakarta) of a template's sends.
type TemplateDay struct {
	Day string `json:"day"` // YYYY-MM-DD
	TemplateCounts
}

// TemplateStats is how a template performed over the last Days days.
type TemplateStats struct {
	TemplateID       int64          `json:"templateId"`
	Name             string         `json:"name"`
	Language         string         `json:"language"`
	Days             int            `json:"days"`
	Since            time.Time      `json:"since"`
	ReplyWindowHours float64        `json:"replyWindowHours"`
	Totals           TemplateCounts `json:"totals"`
	Rates            TemplateRates  `json:"rates"`
	Daily            []TemplateDay  `json:"daily"`
}

func (c *TemplateCounts) add(state string, n int64) {
	c.Total += n
	switch state {
	case "replied":
		c.Replied += n
		c.Read += n
		c.Delivered += n
		c.Sent += n
	case models.MsgRead:
		c.Read += n
		c.Delivered += n
		c.Sent += n
	case models.MsgDelivered:
		c.Delivered += n
		c.Sent += n
	case models.MsgSent:
		c.Sent += n
	case models.MsgFailed:
		c.Failed += n
	default:
		c.Queued += n
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// TemplateStats counts the outbound template messages of template id
// (campaign, agent and test sends alike: every row whose payload names the
// template and its language) created in the last days days; a reply is a
// customer message in the same conversation within the reply window.
func (s CampaignStore) TemplateStats(ctx context.Context, id int64, days int) (TemplateStats, error) {
	if days < 1 || days > MaxStatsDays {
		return TemplateStats{}, models.FieldError(models.EInvalid, "days", "must be 1-%d", MaxStatsDays)
	}
	t, err := templates.TemplateStore{DB: s.DB}.Get(ctx, id)
	if err != nil {
		return TemplateStats{}, err
	}
	since := s.now().Add(-time.Duration(days) * 24 * time.Hour)
	st := TemplateStats{TemplateID: t.ID, Name: t.Name, Language: t.Language, Days: days, Since: since,
		ReplyWindowHours: s.replyWindow().Hours(), Daily: []TemplateDay{}}
	var rows []struct {
		Day   string
		State string
		N     int64
	}
	err = s.DB.WithContext(ctx).Raw(`
		SELECT to_char(m.created_at AT TIME ZONE 'Asia/Jakarta', 'YYYY-MM-DD') AS day,
			CASE WHEN m.status = 'failed' THEN 'failed' WHEN rp.at IS NOT NULL THEN 'replied' ELSE m.status END AS state,
			count(*) AS n
		FROM messages m`+replyJoinSQL+`
		WHERE m.direction = 'out' AND m.type = 'template' AND m.created_at >= @since
			AND m.payload->'template'->>'name' = @name AND m.payload->'template'->'language'->>'code' = @lang
		GROUP BY 1, 2 ORDER BY 1`,
		map[string]any{"since": since, "name": t.Name, "lang": t.Language, "window": s.windowArg()}).Scan(&rows).Error
	if err != nil {
		return st, fmt.Errorf("stats of template %d: %w", id, err)
	}
	for _, r := range rows {
		if n := len(st.Daily); n == 0 || st.Daily[n-1].Day != r.Day {
			st.Daily = append(st.Daily, TemplateDay{Day: r.Day})
		}
		st.Daily[len(st.Daily)-1].add(r.State, r.N)
		st.Totals.add(r.State, r.N)
	}
	tc := st.Totals
	st.Rates = TemplateRates{Delivered: ratio(tc.Delivered, tc.Sent), Read: ratio(tc.Read, tc.Sent),
		Replied: ratio(tc.Replied, tc.Sent), Failed: ratio(tc.Failed, tc.Sent+tc.Failed)}
	return st, nil
}
