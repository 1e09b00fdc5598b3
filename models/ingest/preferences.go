package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/waba"
)

// Marketing opt-out. A contact stops marketing (campaigns skip opted-out
// contacts) when
//   - a user_preferences webhook says "stop" ("resume" opts back in),
//     https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
//   - a send fails with 131050 (the user stopped marketing messages in WhatsApp),
//   - the customer writes one of the opt-out keywords (STOP, BERHENTI by
//     default; config SCRM_OPT_OUT_KEYWORDS), or an opt-in keyword
//     (START, MULAI; SCRM_OPT_IN_KEYWORDS) to opt back in.

// PreferenceChange is one user_preferences item.
type PreferenceChange struct {
	WAID, BSUID string
	Stop        bool // false: resume
}

// preferencesFrom reads a user_preferences change (marketing_messages only).
func preferencesFrom(v *waba.MessagesValue) []PreferenceChange {
	var out []PreferenceChange
	for _, p := range v.UserPreferences {
		if p.Category != "marketing_messages" || (p.Value != "stop" && p.Value != "resume") {
			continue
		}
		out = append(out, PreferenceChange{WAID: p.WAID, BSUID: p.UserID, Stop: p.Value == "stop"})
	}
	return out
}

// DefaultOptOutKeywords and DefaultOptInKeywords are the replies that
// change a contact's marketing preference when nothing is configured.
func DefaultOptOutKeywords() []string { return strings.Split(defaultOptOut, ",") }

// The defaults, as constants the ingest path matches without building lists.
const (
	defaultOptOut = "STOP,BERHENTI"
	defaultOptIn  = "START,MULAI"
)

// DefaultOptInKeywords: see DefaultOptOutKeywords.
func DefaultOptInKeywords() []string { return strings.Split(defaultOptIn, ",") }

// setOptOut sets contacts.opted_out for the contact known by phone digits
// or BSUID.
func setOptOut(ctx context.Context, tx *gorm.DB, waID, bsuid string, out bool, source string) error {
	var where string
	var args []any
	switch {
	case waID != "" && bsuid != "":
		where, args = "(phone_e164 = ? OR wa_id = ? OR bsuid = ?)", []any{"+" + waID, waID, bsuid}
	case waID != "":
		where, args = "(phone_e164 = ? OR wa_id = ?)", []any{"+" + waID, waID}
	case bsuid != "":
		where, args = "bsuid = ?", []any{bsuid}
	default:
		return nil
	}
	var ids []int64
	if err := tx.Raw(`UPDATE contacts SET opted_out = ?, updated_at = now() WHERE `+where+` AND opted_out <> ? RETURNING id`,
		append(append([]any{out}, args...), out)...).Scan(&ids).Error; err != nil {
		return fmt.Errorf("record marketing preference: %w", err)
	}
	return auditOptOut(ctx, tx, ids, out, source)
}

// auditOptOut records each contact whose marketing preference the
// customer changed (no actor: the customer did, through WhatsApp).
func auditOptOut(ctx context.Context, tx *gorm.DB, ids []int64, out bool, source string) error {
	action := AuditContactOptIn
	if out {
		action = AuditContactOptOut
	}
	for _, id := range ids {
		if err := identity.WriteAudit(ctx, tx, identity.Audit(0, action, "contact", id, map[string]any{"source": source})); err != nil {
			return err
		}
		if out {
			// The opt-out is also a durable event (outbound webhooks relay
			// it); the audience is empty: only all-scope principals see it live.
			ev, err := models.NewEvent(models.EventContactOptOut, models.Audience{}, map[string]any{"contactId": id, "optedOut": true, "source": source})
			if err != nil {
				return err
			}
			if err := (models.EventStore{}).Append(ctx, tx, &ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// Audit actions of marketing preferences.
const (
	AuditContactOptOut = "contact.opt_out"
	AuditContactOptIn  = "contact.opt_in"
)

func (s *InboundStore) applyPreference(ctx context.Context, tx *gorm.DB, p *PreferenceChange) error {
	return setOptOut(ctx, tx, models.DigitsOnly(p.WAID), p.BSUID, p.Stop, "user_preferences")
}

// keywordPreference reports whether a customer's text is an opt-out or
// opt-in keyword (whole message, case and surrounding space ignored).
func (s *InboundStore) keywordPreference(m *InboundMessage) (stop, matched bool) {
	if m.Type != "text" && m.Type != "button" {
		return false, false
	}
	// Every inbound text passes here (the webhook's path): compare in place
	// instead of upper-casing copies or building the default lists.
	word := strings.TrimSpace(strings.Trim(strings.TrimSpace(m.Body), ".!"))
	if word == "" {
		return false, false
	}
	if matchKeyword(word, s.OptOutKeywords, defaultOptOut) {
		return true, true
	}
	if matchKeyword(word, s.OptInKeywords, defaultOptIn) {
		return false, true
	}
	return false, false
}

// matchKeyword: word is one of list (any case), or of the comma-separated
// defaults when list is nil (not configured).
func matchKeyword(word string, list []string, defaults string) bool {
	if list == nil {
		for k := range strings.SplitSeq(defaults, ",") {
			if strings.EqualFold(word, k) {
				return true
			}
		}
		return false
	}
	return slices.ContainsFunc(list, func(k string) bool { return strings.EqualFold(word, k) })
}

// optOutOnFailure: 131050 means the user stopped marketing messages from
// this business in WhatsApp itself.
func optOutOnFailure(ctx context.Context, tx *gorm.DB, messageID int64) error {
	var ids []int64
	if err := tx.Raw(`UPDATE contacts SET opted_out = true, updated_at = now() WHERE id =
		(SELECT v.contact_id FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE m.id = ?) AND NOT opted_out RETURNING id`,
		messageID).Scan(&ids).Error; err != nil {
		return err
	}
	return auditOptOut(ctx, tx, ids, true, "131050")
}
