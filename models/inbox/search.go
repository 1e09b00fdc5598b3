package inbox

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
)

// MessageHit is one message found by SearchMessages, with what the result
// list shows of its conversation.
type MessageHit struct {
	MessageID      int64     `json:"messageId"`
	ConversationID int64     `json:"conversationId"`
	Direction      string    `json:"direction"`
	Type           string    `json:"type"`
	Snippet        string    `json:"snippet"`
	CreatedAt      time.Time `json:"createdAt"`
	ContactName    string    `json:"contactName"`
	ContactPhone   *string   `json:"contactPhone,omitempty"`
	SenderNumber   string    `json:"senderNumber,omitempty"`
	Body           string    `json:"-"`
}

// SearchPage is a page of hits, newest first; NextBefore continues it.
type SearchPage struct {
	Items      []MessageHit `json:"items"`
	NextBefore int64        `json:"nextBefore,omitempty"`
}

// searchTSQuery turns the typed words into a prefix query with the same
// configuration as the index ('indonesian', 00190: words are stemmed, so
// "bayar" finds "membayar"): every word must occur, each as a prefix.
const searchTSQuery = `to_tsquery('indonesian', (SELECT string_agg(quote_literal(lexeme) || ':*', ' & ') FROM unnest(to_tsvector('indonesian', @q))))`

// SearchMessages finds messages whose text contains every word of q (as a
// word prefix), in the conversations p may see (its own, its supervised
// teams', and with inbox:take its teams' queue), newest first, before
// message id before (0: from the newest). It uses the GIN index of 00190.
func (ib ConversationStore) SearchMessages(ctx context.Context, p models.Principal, q string, before int64, limit int) (SearchPage, error) {
	q = strings.Map(func(r rune) rune {
		if r == '\'' || r == '\\' || r == 0 {
			return ' '
		}
		return r
	}, strings.TrimSpace(q))
	if utf8.RuneCountInString(strings.TrimSpace(q)) < 2 || len(q) > 200 {
		return SearchPage{}, models.FieldError(models.EInvalid, "q", "must be 2-200 characters")
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	db := ib.DB.WithContext(ctx).Table("messages m").
		Select(`m.id AS message_id, m.conversation_id, m.direction, m.type, m.body, m.created_at,
			contacts.name AS contact_name, contacts.phone_e164 AS contact_phone,
			(SELECT display_number FROM senders WHERE senders.id = conversations.sender_id) AS sender_number`).
		Joins("JOIN conversations ON conversations.id = m.conversation_id").
		Joins("JOIN contacts ON contacts.id = conversations.contact_id").
		Where("m.direction IN ('in', 'out') AND m.body <> ''").
		Where("to_tsvector('indonesian', m.body) @@ "+searchTSQuery, map[string]any{"q": q}).
		Scopes(conversationScope(p))
	if before > 0 {
		db = db.Where("m.id < ?", before)
	}
	var rows []MessageHit
	if err := db.Order("m.id DESC").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return SearchPage{}, fmt.Errorf("search messages: %w", err)
	}
	page := SearchPage{Items: rows}
	if len(rows) > limit {
		page.Items = rows[:limit]
		page.NextBefore = rows[limit-1].MessageID
	}
	words := strings.Fields(strings.ToLower(q))
	for i := range page.Items {
		page.Items[i].Snippet = snippet(page.Items[i].Body, words, 160)
	}
	return page, nil
}

// snippet cuts body to about n runes around the first word found.
func snippet(body string, words []string, n int) string {
	r := []rune(body)
	if len(r) <= n {
		return body
	}
	low := []rune(strings.ToLower(body))
	at := 0
	for _, w := range words {
		if i := strings.Index(string(low), w); i >= 0 {
			at = utf8.RuneCountInString(string(low)[:i])
			break
		}
	}
	start := max(0, at-n/3)
	end := min(len(r), start+n)
	out := string(r[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(r) {
		out += "…"
	}
	return out
}
