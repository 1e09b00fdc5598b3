package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// Per-item isolation of a webhook delivery. PostgreSQL refuses some strings
// a customer's phone can send (NUL, invalid UTF-8; in JSONB also \u0000 and
// lone surrogate escapes), and one refused item used to fail the whole
// delivery: 503, Meta redelivers it for ever, and the good items with it
// are never stored. Now every item is first made storable (sanitised:
// invalid UTF-8 becomes U+FFFD, NUL is dropped, JSON is re-encoded), and
// an item PostgreSQL still refuses as bad data is dead-lettered with its
// reason while the rest of the delivery commits.

// sanitizeBatch makes every string of b storable and returns how many
// items it had to change.
func sanitizeBatch(b *InboundBatch) int {
	n := 0
	for i := range b.Messages {
		m := &b.Messages[i]
		text := cleanAll(&m.PhoneNumberID, &m.DisplayNumber, &m.WABAID, &m.WAMID, &m.FromWAID, &m.BSUID, &m.ProfileName, &m.Type, &m.Body)
		ref := len(m.Referral) > 0 && cleanJSON(&m.Referral)
		if cleanJSON(&m.Payload) || text || ref {
			n++
		}
	}
	for i := range b.Statuses {
		st := &b.Statuses[i]
		text := cleanAll(&st.WAMID, &st.Status, &st.RecipientID, &st.BizOpaque, &st.ErrorReason)
		if cleanJSON(&st.Payload) || text {
			n++
		}
	}
	for i := range b.Templates {
		t := &b.Templates[i]
		edit := false
		if e := t.Edit; e != nil {
			edit = cleanAll(&e.Body, &e.Header, &e.Footer)
			for j := range e.Buttons {
				b := &e.Buttons[j]
				edit = cleanAll(&b.Type, &b.Text, &b.URL, &b.PhoneNumber) || edit
			}
		}
		if cleanAll(&t.MetaID, &t.Name, &t.Language, &t.Status, &t.Reason, &t.Quality) || edit {
			n++
		}
	}
	for i := range b.Senders {
		q := &b.Senders[i]
		if cleanAll(&q.DisplayNumber, &q.Event, &q.Quality, &q.LimitTier) {
			n++
		}
	}
	return n
}

func cleanAll(ss ...*string) bool {
	changed := false
	for _, s := range ss {
		if c, ok := CleanText(*s); ok {
			*s, changed = c, true
		}
	}
	return changed
}

// CleanText returns s as a PostgreSQL text column accepts it (invalid UTF-8
// replaced by U+FFFD, NUL dropped) and whether it had to change it.
func CleanText(s string) (string, bool) {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s, false
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", ""), true
}

// cleanJSON re-encodes *raw when JSONB would refuse it: invalid UTF-8, a
// NUL escape or a surrogate escape (Go's decoder turns a lone surrogate
// into U+FFFD and keeps valid pairs). A document that does not even decode
// is dropped (the message keeps its text; Payload nil stores {}).
func cleanJSON(raw *json.RawMessage) bool {
	if len(*raw) == 0 || (utf8.Valid(*raw) && !hasRiskyEscape(*raw)) {
		return false
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(*raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		*raw = nil
		return true
	}
	out, err := json.Marshal(dropNUL(v))
	if err != nil {
		*raw = nil
		return true
	}
	*raw = out
	return true
}

// hasRiskyEscape reports a \u0000 or \uD800-\uDFFF escape (conservatively:
// an escaped backslash before "u" also counts, which only costs a
// re-encoding).
func hasRiskyEscape(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`\u`))
		if j < 0 || i+j+6 > len(b) {
			return false
		}
		h := strings.ToLower(string(b[i+j+2 : i+j+6]))
		if h == "0000" || (h[0] == 'd' && h[1] >= '8') {
			return true
		}
		i += j + 2
	}
}

func dropNUL(v any) any {
	switch t := v.(type) {
	case string:
		return strings.ReplaceAll(t, "\x00", "")
	case []any:
		for i := range t {
			t[i] = dropNUL(t[i])
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[strings.ReplaceAll(k, "\x00", "")] = dropNUL(x)
		}
		return out
	}
	return v
}

// itemRefused reports an error that is about one item's data (SQLSTATE
// class 22 "data exception", 54 "program limit exceeded" such as an index
// row too large, or our own EInvalid), as opposed to the database being
// unavailable, which must fail the whole delivery (503: Meta redelivers).
func itemRefused(err error) bool {
	if models.CodeOf(err) == models.EInvalid {
		return true
	}
	code, _ := models.PGError(err)
	return strings.HasPrefix(code, "22") || strings.HasPrefix(code, "54")
}

// DeadLetter is an item of a delivery that could not be stored.
type DeadLetter struct {
	Kind, Key, Reason string
}

// isolate runs store for one item inside a savepoint; when PostgreSQL
// refuses the item's data it rolls the item back, restores res to what it
// was before the item, and records the item in webhook_dead_letters.
func isolate(tx *gorm.DB, res *IngestResult, kind, key string, raw []byte, store func() error) error {
	saved := *res
	if err := tx.SavePoint("item").Error; err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := store()
	if err == nil {
		// Released at once: a long delivery must not pile up
		// subtransactions (PostgreSQL slows down past 64 per backend).
		if err := tx.Exec("RELEASE SAVEPOINT item").Error; err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
		return nil
	}
	if !itemRefused(err) {
		return err
	}
	if rerr := tx.RollbackTo("item").Error; rerr != nil {
		return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
	}
	*res = saved
	// Both may hold the poison (an over-long id is in our error text, so
	// the reason is PostgreSQL's own message when there is one).
	reason := err.Error()
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		reason = "SQLSTATE " + pe.Code + ": " + pe.Message
	}
	reason, key = clip(reason, 500), clip(key, 200)
	sum := sha256.Sum256(append([]byte(kind+"\x00"), raw...))
	if err := tx.Exec(`INSERT INTO webhook_dead_letters (kind, item_key, reason, raw, dedupe_key) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (dedupe_key) DO NOTHING`, kind, key, reason, raw, hex.EncodeToString(sum[:])).Error; err != nil {
		return fmt.Errorf("dead-letter %s: %w", kind, err)
	}
	res.DeadLetters = append(res.DeadLetters, DeadLetter{Kind: kind, Key: key, Reason: reason})
	return nil
}

// clip cleans s and cuts it to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	s, _ = CleanText(s)
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
