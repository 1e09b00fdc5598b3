package inbox

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"gorm.io/gorm"
)

// InboxFilter narrows the conversation list.
type InboxFilter struct {
	View     string // mine | queue | unassigned | team | all
	Status   string // open|pending|resolved|snoozed
	SenderID int64
	// ContactID: the conversations with one customer (the side panel's
	// previous conversations), within p's scope like every other filter.
	ContactID int64
	// IDs: only these conversations, if they match the rest of the filter
	// (the web app refreshes the rows a live event names, nothing else).
	IDs    []int64
	Label  string
	Window string // open | closed
	Query  string // name or phone (any Indonesian spelling)
	Sort   string // activity (default) | waiting
	Cursor string
	Limit  int
}

// InboxItem is one row of the conversation list.
type InboxItem struct {
	models.Conversation
	Labels       []string   `json:"labels" gorm:"column:labels_json;serializer:json"`
	LastPreview  string     `json:"lastPreview"`
	SnoozedUntil *time.Time `json:"snoozedUntil,omitempty"`
	ContactName  string     `json:"contactName"`
	ContactPhone *string    `json:"contactPhone,omitempty"`
	// AssigneeName and SenderNumber say who serves the chat and on which
	// business number (shown on each row and in the thread header).
	AssigneeName   string     `json:"assigneeName,omitempty"`
	SenderNumber   string     `json:"senderNumber,omitempty"`
	WindowOpen     bool       `json:"windowOpen" gorm:"-"`
	WindowClosesAt *time.Time `json:"windowClosesAt,omitempty" gorm:"-"`
	// EntryPointOpen: messages sent now are free (a click-to-WhatsApp
	// ad's entry point, until EntryPointUntil); it does not open the window.
	EntryPointOpen bool `json:"entryPointOpen,omitempty" gorm:"-"`
}

// InboxPage is a page of the list with the cursor of the next page.
type InboxPage struct {
	Items      []InboxItem `json:"items"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

// List returns conversations p may see, filtered and cursor-paginated.
func (ib ConversationStore) List(ctx context.Context, p models.Principal, f InboxFilter) (InboxPage, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 30
	}
	// The page is chosen on conversations alone (the sort index of 00190);
	// contacts, agents and senders are joined to its few rows only. A search
	// by name or phone filters through an EXISTS on contacts.
	q := ib.DB.WithContext(ctx).Table("conversations").
		Scopes(conversationScope(p))
	switch f.View {
	case "", "all":
	case "mine":
		q = q.Where("conversations.assignee_agent_id = ?", p.AgentID)
	case "unassigned":
		q = q.Where("conversations.assignee_agent_id IS NULL")
	case "queue":
		// The queue p takes from (inbox:take): unassigned, waiting
		// conversations of its teams.
		teams := queueTeams(p)
		if len(teams) == 0 {
			return InboxPage{Items: []InboxItem{}}, nil
		}
		q = q.Where("conversations.assignee_agent_id IS NULL AND conversations.status IN ('open','pending') AND conversations.team_id IN ?", teams)
	case "team":
		teams := append(append([]int64{}, p.TeamIDs...), p.SupervisedTeamIDs...)
		if len(teams) == 0 {
			return InboxPage{Items: []InboxItem{}}, nil
		}
		q = q.Where("conversations.team_id IN ?", teams)
	default:
		return InboxPage{}, models.FieldError(models.EInvalid, "view", "must be mine, queue, unassigned, team or all")
	}
	if f.Status != "" {
		switch f.Status {
		case "open", "pending", "resolved", "snoozed":
			q = q.Where("conversations.status = ?", f.Status)
		default:
			return InboxPage{}, models.FieldError(models.EInvalid, "status", "must be open, pending, resolved or snoozed")
		}
	}
	if f.ContactID > 0 {
		q = q.Where("conversations.contact_id = ?", f.ContactID)
	}
	if len(f.IDs) > 0 {
		q = q.Where("conversations.id IN ?", f.IDs)
	}
	q, err := ib.narrow(q, f)
	if err != nil {
		return InboxPage{}, err
	}
	if s := strings.TrimSpace(f.Query); s != "" {
		// A phone in any spelling is looked up by its E.164 form alone
		// (unique index); other input matches the name (trigram index) or,
		// with 4+ digits, part of the number (trigram index).
		if e164, err := models.NormalizePhone(s); err == nil {
			q = q.Where("EXISTS (SELECT 1 FROM contacts c WHERE c.id = conversations.contact_id AND c.phone_e164 = ?)", e164)
		} else {
			like := "%" + strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "%", `\%`), "_", `\_`) + "%"
			cond := "c.name ILIKE ?"
			args := []any{like}
			if d := onlyDigits(s); len(d) >= 4 {
				cond += " OR c.phone_e164 LIKE ?"
				args = append(args, "%"+d+"%")
			}
			q = q.Where("EXISTS (SELECT 1 FROM contacts c WHERE c.id = conversations.contact_id AND ("+cond+"))", args...)
		}
	}
	// Keyset pagination on (sort key, id).
	sortCol, dir := "COALESCE(conversations.last_message_at, conversations.created_at)", "DESC"
	switch f.Sort {
	case "", "activity":
	case "waiting":
		// Longest waiting first: customers who wrote last and wait the longest.
		sortCol, dir = "COALESCE(conversations.last_inbound_at, conversations.created_at)", "ASC"
		q = q.Where("conversations.status IN ('open','pending')")
	default:
		return InboxPage{}, models.FieldError(models.EInvalid, "sort", "must be activity or waiting")
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return InboxPage{}, models.FieldError(models.EInvalid, "cursor", "is not a cursor from this API")
		}
		op := "<"
		if dir == "ASC" {
			op = ">"
		}
		q = q.Where("("+sortCol+", conversations.id) "+op+" (?, ?)", at, id)
	}
	var rows []struct {
		InboxItem
		SortAt time.Time `gorm:"column:sort_at"`
	}
	page0 := q.Select("conversations.*, " + sortCol + " AS sort_at").
		Order(sortCol + " " + dir + ", conversations.id " + dir).Limit(f.Limit + 1)
	err = ib.DB.WithContext(ctx).Table("(?) AS conversations", page0).
		Select(`conversations.*, array_to_json(conversations.labels) AS labels_json,
			contacts.name AS contact_name, contacts.phone_e164 AS contact_phone,
			(SELECT name FROM agents WHERE agents.id = conversations.assignee_agent_id) AS assignee_name,
			(SELECT display_number FROM senders WHERE senders.id = conversations.sender_id) AS sender_number`).
		Joins("JOIN contacts ON contacts.id = conversations.contact_id").
		Order("conversations.sort_at " + dir + ", conversations.id " + dir).Scan(&rows).Error
	if err != nil {
		return InboxPage{}, fmt.Errorf("list conversations: %w", err)
	}
	page := InboxPage{Items: make([]InboxItem, 0, len(rows))}
	for i, r := range rows {
		if i == f.Limit {
			last := rows[i-1]
			page.NextCursor = encodeCursor(last.SortAt, last.ID)
			break
		}
		it := r.InboxItem
		ib.fillWindow(&it)
		page.Items = append(page.Items, it)
	}
	return page, nil
}

func (ib ConversationStore) fillWindow(it *InboxItem) {
	if it.LastInboundAt != nil {
		closes := models.WindowEnd(it.LastInboundAt, ib.Window)
		it.WindowClosesAt = &closes
		it.WindowOpen = models.WindowOpen(it.LastInboundAt, ib.now(), ib.Window)
	}
	it.EntryPointOpen = models.EntryPointOpen(it.EntryPointUntil, ib.now())
}

// GetScoped returns one conversation p may see (404 otherwise).
func (ib ConversationStore) GetScoped(ctx context.Context, p models.Principal, id int64) (InboxItem, error) {
	var it InboxItem
	err := ib.DB.WithContext(ctx).Table("conversations").
		Select(`conversations.*, array_to_json(conversations.labels) AS labels_json, conversations.last_preview, conversations.snoozed_until,
			contacts.name AS contact_name, contacts.phone_e164 AS contact_phone,
			(SELECT name FROM agents WHERE agents.id = conversations.assignee_agent_id) AS assignee_name,
			(SELECT display_number FROM senders WHERE senders.id = conversations.sender_id) AS sender_number`).
		Joins("JOIN contacts ON contacts.id = conversations.contact_id").
		Scopes(conversationScope(p)).
		Where("conversations.id = ?", id).Take(&it).Error
	if err == gorm.ErrRecordNotFound {
		return it, models.Errorf(models.ENotFound, "conversation %d not found", id)
	}
	if err != nil {
		return it, err
	}
	ib.fillWindow(&it)
	return it, nil
}

// MessagesPage is a page of a conversation's messages, newest first.
type MessagesPage struct {
	Items      []models.Message `json:"items"`
	NextBefore int64            `json:"nextBefore,omitempty"`
}

// Messages lists messages of a conversation p may see, newest first, before
// message id `before` (0: from the newest).
func (ib ConversationStore) Messages(ctx context.Context, p models.Principal, convID, before int64, limit int) (MessagesPage, error) {
	if _, err := ib.GetScoped(ctx, p, convID); err != nil {
		return MessagesPage{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := ib.DB.WithContext(ctx).Where("conversation_id = ?", convID)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	var rows []models.Message
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return MessagesPage{}, fmt.Errorf("messages of %d: %w", convID, err)
	}
	page := MessagesPage{Items: rows}
	if len(rows) > limit {
		page.Items = rows[:limit]
		page.NextBefore = rows[limit-1].ID
	}
	return page, nil
}

func encodeCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (time.Time, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, 0, err
	}
	ts, idStr, ok := strings.Cut(string(raw), "|")
	if !ok {
		return time.Time{}, 0, fmt.Errorf("bad cursor")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, 0, err
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	return at, id, err
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// narrow applies the filters the list and its tab counts share: number,
// label and window.
func (ib ConversationStore) narrow(q *gorm.DB, f InboxFilter) (*gorm.DB, error) {
	if f.SenderID > 0 {
		q = q.Where("conversations.sender_id = ?", f.SenderID)
	}
	if f.Label != "" {
		q = q.Where("? = ANY(conversations.labels)", f.Label)
	}
	// SQL form of models.WindowOpen: open <=> last_inbound_at > now - length.
	cutoff := ib.now().Add(-models.WindowLength(ib.Window))
	switch f.Window {
	case "":
	case "open":
		q = q.Where("conversations.last_inbound_at > ?", cutoff)
	case "closed":
		q = q.Where("conversations.last_inbound_at IS NULL OR conversations.last_inbound_at <= ?", cutoff)
	default:
		return nil, models.FieldError(models.EInvalid, "window", "must be open or closed")
	}
	return q, nil
}

// ViewCounts are the open and pending conversations of each view of the
// list p may see (the counts on its tabs).
type ViewCounts struct {
	Mine       int64 `json:"mine"`
	Queue      int64 `json:"queue"`
	Unassigned int64 `json:"unassigned"`
	Team       int64 `json:"team"`
	All        int64 `json:"all"`
}

// Counts counts each view in one scan of what p may see, with List's
// definitions of the views and its number, label and window filters (f's
// other fields are ignored), so a tab counts what its list shows.
func (ib ConversationStore) Counts(ctx context.Context, p models.Principal, f InboxFilter) (ViewCounts, error) {
	var out ViewCounts
	queue := append([]int64{0}, queueTeams(p)...) // 0: no team; keeps IN () valid
	teams := append(append([]int64{0}, p.TeamIDs...), p.SupervisedTeamIDs...)
	q, err := ib.narrow(ib.DB.WithContext(ctx).Table("conversations"), f)
	if err != nil {
		return out, err
	}
	err = q.
		Select(`count(*) FILTER (WHERE conversations.assignee_agent_id = ?) AS mine,
			count(*) FILTER (WHERE conversations.assignee_agent_id IS NULL AND conversations.team_id IN ?) AS queue,
			count(*) FILTER (WHERE conversations.assignee_agent_id IS NULL) AS unassigned,
			count(*) FILTER (WHERE conversations.team_id IN ?) AS team,
			count(*) AS "all"`, p.AgentID, queue, teams).
		Scopes(conversationScope(p)).
		Where("conversations.status IN ('open','pending')").Scan(&out).Error
	if err != nil {
		return out, fmt.Errorf("count conversations: %w", err)
	}
	if len(queue) == 1 {
		out.Queue = 0
	}
	return out, nil
}
