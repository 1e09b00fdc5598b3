package csat

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Settings are the survey's settings: Enabled and Question for the whole
// business, Teams overriding Enabled per team.
type Settings struct {
	Enabled        bool          `json:"enabled"`
	Question       string        `json:"question"`
	TimeoutMinutes int           `json:"timeoutMinutes"`
	Teams          []TeamSetting `json:"teams"`
}

// TeamSetting turns the survey on or off for one team.
type TeamSetting struct {
	TeamID  int64 `json:"teamId"`
	Enabled bool  `json:"enabled"`
}

// SettingsStore keeps csat_settings and csat_team_settings.
type SettingsStore struct {
	DB *gorm.DB
}

// Get reads the settings.
func (s SettingsStore) Get(ctx context.Context) (Settings, error) {
	return getSettings(s.DB.WithContext(ctx))
}

func getSettings(db *gorm.DB) (Settings, error) {
	var row struct {
		Enabled        bool
		Question       string
		TimeoutMinutes int
	}
	if err := db.Raw(`SELECT enabled, question, timeout_minutes FROM csat_settings WHERE id = 1`).Scan(&row).Error; err != nil {
		return Settings{}, fmt.Errorf("csat settings: %w", err)
	}
	out := Settings{Enabled: row.Enabled, Question: row.Question, TimeoutMinutes: row.TimeoutMinutes}
	out.Teams = []TeamSetting{}
	if err := db.Raw(`SELECT team_id, enabled FROM csat_team_settings ORDER BY team_id`).Scan(&out.Teams).Error; err != nil {
		return out, fmt.Errorf("csat team settings: %w", err)
	}
	return out, nil
}

// Put replaces the settings (the team overrides as a whole).
func (s SettingsStore) Put(ctx context.Context, in Settings) (Settings, error) {
	switch {
	case strings.TrimSpace(in.Question) == "":
		return Settings{}, models.FieldError(models.EInvalid, "question", "is required")
	case utf8.RuneCountInString(in.Question) > MaxQuestion: // the list's body: Meta's limit
		return Settings{}, models.FieldError(models.EInvalid, "question", "is longer than 1024 characters")
	}
	if in.TimeoutMinutes < MinTimeoutMins || in.TimeoutMinutes > MaxTimeoutMins {
		return Settings{}, models.FieldError(models.EInvalid, "timeoutMinutes", "must be between %d and %d minutes", MinTimeoutMins, MaxTimeoutMins)
	}
	seen := map[int64]bool{}
	for _, t := range in.Teams {
		if seen[t.TeamID] {
			return Settings{}, models.FieldError(models.EInvalid, "teams", "team %d is listed twice", t.TeamID)
		}
		seen[t.TeamID] = true
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range in.Teams {
			var n int64
			if err := tx.Raw(`SELECT count(*) FROM teams WHERE id = ?`, t.TeamID).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return models.FieldError(models.EUnprocessable, "teams", "team %d does not exist", t.TeamID)
			}
		}
		if err := tx.Exec(`UPDATE csat_settings SET enabled = ?, question = ?, timeout_minutes = ?, updated_at = now() WHERE id = 1`,
			in.Enabled, strings.TrimSpace(in.Question), in.TimeoutMinutes).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM csat_team_settings`).Error; err != nil {
			return err
		}
		for _, t := range in.Teams {
			if err := tx.Exec(`INSERT INTO csat_team_settings (team_id, enabled) VALUES (?, ?)`, t.TeamID, t.Enabled).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Settings{}, err
	}
	return s.Get(ctx)
}

// Queue stores the survey of the episode conversation c just ended, in the
// resolve's own transaction tx (c is the resolved row, locked by it): one
// survey row per episode (a double resolve or a retried auto-resolve finds
// it and queues nothing) and a queued outbound message that no agent wrote
// (author_agent_id NULL: not a first response). Nothing is queued when the
// survey is off for the conversation's team or the customer-service window
// is closed (an interactive message is only allowed inside it). The
// conversation row is not touched: queueing it must not reopen the
// conversation, as an agent's send does. The caller hands the message to
// the ConversationWorkflow after commit (Queued).
func Queue(ctx context.Context, tx *gorm.DB, events models.EventStore, c models.Conversation, now time.Time, window time.Duration) ([]models.Event, error) {
	if c.Status != "resolved" || !models.WindowOpen(c.LastInboundAt, now, window) {
		return nil, nil
	}
	var st struct {
		Enabled        bool
		Question       string
		TimeoutMinutes int
		EpisodeAt      time.Time
	}
	if err := tx.Raw(`SELECT COALESCE(t.enabled, s.enabled) AS enabled, s.question, s.timeout_minutes,
			(SELECT COALESCE(rpt_opened_at, created_at) FROM conversations WHERE id = @conv) AS episode_at
		FROM csat_settings s LEFT JOIN csat_team_settings t ON t.team_id = @team WHERE s.id = 1`,
		map[string]any{"conv": c.ID, "team": ptrOr0(c.TeamID)}).Scan(&st).Error; err != nil {
		return nil, fmt.Errorf("csat settings of conversation %d: %w", c.ID, err)
	}
	if !st.Enabled {
		return nil, nil
	}
	expires := now.Add(time.Duration(st.TimeoutMinutes) * time.Minute)
	var ids []int64
	if err := tx.Raw(`INSERT INTO csat_surveys (conversation_id, episode_at, team_id, agent_id, sender_id, sent_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id, episode_at) DO NOTHING RETURNING id`,
		c.ID, st.EpisodeAt, ptrOr0(c.TeamID), ptrOr0(c.AssigneeAgentID), c.SenderID, now, expires).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("store csat survey: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil // this episode's survey exists already
	}
	raw, err := json.Marshal(SurveyMessage(ids[0], st.Question))
	if err != nil {
		return nil, err
	}
	row := models.Message{ConversationID: c.ID, Direction: models.DirOut, Type: "interactive", Body: st.Question,
		Payload: raw, Status: models.MsgQueued, CreatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("store csat survey message: %w", err)
	}
	row.BizOpaque = strconv.FormatInt(row.ID, 10)
	if err := tx.Exec(`UPDATE messages SET send_state = 'pending', biz_opaque = ? WHERE id = ?`, row.BizOpaque, row.ID).Error; err != nil {
		return nil, err
	}
	if err := tx.Exec(`UPDATE csat_surveys SET message_id = ? WHERE id = ?`, row.ID, ids[0]).Error; err != nil {
		return nil, err
	}
	ev, err := models.NewEvent(models.EventMessageCreated, c.Audience(), map[string]any{"message": row, "conversationId": c.ID, "csat": true})
	if err != nil {
		return nil, err
	}
	if err := events.Append(ctx, tx, &ev); err != nil {
		return nil, err
	}
	return []models.Event{ev}, nil
}

// Queued lists the survey messages of conversation convID still waiting to
// be sent: what a resolve hands to the ConversationWorkflow after commit. A
// retry finds the same rows, and the workflow sends each at most once.
func Queued(ctx context.Context, db *gorm.DB, convID int64) ([]models.Message, error) {
	var out []models.Message
	err := db.WithContext(ctx).Raw(`SELECT m.* FROM csat_surveys s JOIN messages m ON m.id = s.message_id
		WHERE s.conversation_id = ? AND m.status = ? ORDER BY m.id`, convID, models.MsgQueued).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("queued csat surveys of %d: %w", convID, err)
	}
	return out, nil
}

// Answered is a survey an inbound list_reply names, found only through the
// conversation of the number and customer that sent the reply.
type Answered struct {
	Survey
	ConversationID int64
	Status         string // the conversation's status
}

// FindAnswered looks up survey surveyID for a reply the customer (fromWAID
// or bsuid) sent to sender senderID, and locks its conversation. ok is
// false when no such survey belongs to that customer and number.
func FindAnswered(ctx context.Context, tx *gorm.DB, surveyID, senderID int64, fromWAID, bsuid string) (Answered, bool, error) {
	var rows []struct {
		ID, ConversationID, LatestID int64
		ExpiresAt                    time.Time
		Rating                       *int
		Status                       string
	}
	err := tx.WithContext(ctx).Raw(`SELECT s.id, s.conversation_id, s.expires_at, s.rating, v.status,
			(SELECT max(id) FROM csat_surveys l WHERE l.conversation_id = v.id) AS latest_id
		FROM csat_surveys s JOIN conversations v ON v.id = s.conversation_id JOIN contacts c ON c.id = v.contact_id
		WHERE s.id = ? AND v.sender_id = ? AND ((? <> '' AND c.wa_id = ?) OR (? <> '' AND c.bsuid = ?))
		FOR UPDATE OF v`, surveyID, senderID, fromWAID, fromWAID, bsuid, bsuid).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return Answered{}, false, err
	}
	r := rows[0]
	return Answered{Survey: Survey{ID: r.ID, ExpiresAt: r.ExpiresAt, Rating: r.Rating, LatestID: r.LatestID},
		ConversationID: r.ConversationID, Status: r.Status}, true, nil
}

// RecordRating stores rating as survey id's answer (the first answer only; the
// reports' trigger counts it).
func RecordRating(ctx context.Context, tx *gorm.DB, id int64, rating int, at time.Time, wamid string) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE csat_surveys SET rating = ?, answered_at = ?, answer_wamid = ? WHERE id = ? AND rating IS NULL`,
		rating, at, wamid, id).Error; err != nil {
		return fmt.Errorf("record csat rating of survey %d: %w", id, err)
	}
	return nil
}

func ptrOr0(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
