package campaigns

import (
	"context"
	"fmt"
	"time"

	"github.com/wabascrm/scrm/models"
)

// CampaignQueue is a campaign's dispatch state.
type CampaignQueue struct {
	Queued  int64
	Sent    int64
	Failed  int64
	Skipped int64
	NextDue time.Time // earliest not_before of its queued recipients
	Senders []int64   // numbers holding its queued recipients
	// Held: WhatsApp paused or disabled the template and the campaign
	// waits for it (templates.HoldCampaigns); Reason says why.
	Held   bool
	Reason string `json:",omitempty"`
}

// Queue reads a campaign's recipients by state (one grouped query).
func (s CampaignStore) Queue(ctx context.Context, id int64) (CampaignQueue, error) {
	var q CampaignQueue
	var rows []struct {
		Status   string
		SenderID *int64
		N        int64
		Next     *time.Time
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT status, CASE WHEN status = 'queued' THEN sender_id END AS sender_id, count(*) AS n,
			min(not_before) FILTER (WHERE status = 'queued') AS next
		FROM campaign_recipients WHERE campaign_id = ? GROUP BY 1, 2`, id).Scan(&rows).Error; err != nil {
		return q, fmt.Errorf("queue of campaign %d: %w", id, err)
	}
	var hold struct {
		Held   bool
		Reason string
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT template_hold_from IS NOT NULL AS held, status_reason AS reason FROM campaigns WHERE id = ?`, id).
		Scan(&hold).Error; err != nil {
		return q, fmt.Errorf("hold of campaign %d: %w", id, err)
	}
	if hold.Held {
		q.Held, q.Reason = true, hold.Reason
	}
	for _, r := range rows {
		switch r.Status {
		case RecipientQueued:
			q.Queued += r.N
			if r.SenderID != nil {
				q.Senders = append(q.Senders, *r.SenderID)
			}
			if r.Next != nil && (q.NextDue.IsZero() || r.Next.Before(q.NextDue)) {
				q.NextDue = *r.Next
			}
		case RecipientFailed:
			q.Failed += r.N
		case RecipientSkipped:
			q.Skipped += r.N
		default:
			q.Sent += r.N
		}
	}
	return q, nil
}

// UseSenderDispatch switches a campaign to per-number dispatch.
func (s CampaignStore) UseSenderDispatch(ctx context.Context, id int64) error {
	r := s.DB.WithContext(ctx).Exec(`UPDATE campaigns SET dispatch = 'sender' WHERE id = ?`, id)
	if r.Error != nil {
		return fmt.Errorf("campaign %d dispatch: %w", id, r.Error)
	}
	if r.RowsAffected == 0 {
		return models.Errorf(models.ENotFound, "campaign %d not found", id)
	}
	return nil
}

// CampaignProgressData is the payload of a campaign.progress event.
type CampaignProgressData struct {
	CampaignID int64     `json:"campaignId"`
	Status     string    `json:"status"`
	Queued     int64     `json:"queued"`
	Sent       int64     `json:"sent"`
	Failed     int64     `json:"failed"`
	Skipped    int64     `json:"skipped"`
	NextDue    time.Time `json:"nextDue,omitempty"`
}

// RecordProgress stores a campaign.progress event for the campaign's
// creator (admins and campaign managers see every event by scope).
func (s CampaignStore) RecordProgress(ctx context.Context, id int64, q CampaignQueue) (models.Event, error) {
	var c struct {
		Status    string
		CreatedBy *int64
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT status, created_by FROM campaigns WHERE id = ?`, id).Scan(&c).Error; err != nil {
		return models.Event{}, fmt.Errorf("campaign %d: %w", id, err)
	}
	var aud models.Audience
	if c.CreatedBy != nil {
		aud.AgentIDs = []int64{*c.CreatedBy}
	}
	ev, err := models.NewEvent(models.EventCampaignProgress, aud, CampaignProgressData{CampaignID: id, Status: c.Status, Queued: q.Queued,
		Sent: q.Sent, Failed: q.Failed, Skipped: q.Skipped, NextDue: q.NextDue})
	if err != nil {
		return models.Event{}, err
	}
	if err := (models.EventStore{DB: s.DB}).Append(ctx, s.DB.WithContext(ctx), &ev); err != nil {
		return models.Event{}, fmt.Errorf("campaign %d progress event: %w", id, err)
	}
	return ev, nil
}
