package templates

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Campaign statuses as stored (the campaigns package owns them; repeated
// here as SQL literals because that package sits above this one).
const (
	holdRunning   = "running"
	holdScheduled = "scheduled"
	holdPaused    = "paused"
)

// TplPaced is not a status Meta gives a template: it is HoldCampaigns'
// word for "WhatsApp's pacing holds this template's messages".
const TplPaced = "PACED"

// Holds reports whether a template in status stops the campaigns that use
// it: WhatsApp refuses its sends (132015 paused, 132016 disabled) until it is
// approved again, or (TplPaced) holds them for its quality assessment.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pausing
func Holds(status string) bool {
	s := strings.ToUpper(status)
	return s == TplPaused || s == TplDisabled || s == TplPaced
}

// Held reports whether t stops its campaigns now: paused or disabled by
// WhatsApp, or paced. Pacing holds messages that are sent only if early
// feedback is good and dropped (132015) if it is bad; a campaign that kept
// sending would pour its audience into a queue that may be dropped whole,
// so it waits until WhatsApp releases (or drops) what it holds.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pacing
func Held(t Template) bool { return Holds(t.Status) || t.PacedSince != nil }

// PacedReason is the reason shown on a campaign that waits for pacing.
func PacedReason(name, language string) string {
	return fmt.Sprintf("WhatsApp is pacing template %s (%s): its messages are held for a quality assessment; the campaign resumes by itself when WhatsApp releases them", name, language)
}

// HoldReason is the reason shown on a campaign its template stopped.
func HoldReason(name, language, status, why string) string {
	verb := "paused"
	if strings.ToUpper(status) == TplDisabled {
		verb = "disabled"
	}
	r := fmt.Sprintf("WhatsApp %s template %s (%s)", verb, name, language)
	if why = strings.TrimSpace(why); why != "" && why != "NONE" {
		r += ": " + why
	}
	if verb == "paused" {
		r += "; the campaign resumes by itself when the template is approved again"
	}
	return r
}

// HoldCampaigns applies a template's new status to the campaigns using it,
// inside the caller's transaction (the webhook ingest, or the send path
// that was refused with 132015/132016 before the webhook came):
//   - paused or disabled: running and scheduled campaigns become paused with
//     the reason, remembering the status they had (template_hold_from), so
//     numbers stop taking their recipients at once (dispatch sends only for
//     running campaigns);
//   - approved again: the campaigns it held go back to that status. A
//     campaign a person paused meanwhile is theirs (its hold was cleared)
//     and stays paused.
//
// It returns the ids of the campaigns it changed.
func HoldCampaigns(tx *gorm.DB, templateIDs []int64, status, reason string) ([]int64, error) {
	if len(templateIDs) == 0 {
		return nil, nil
	}
	var ids []int64
	var err error
	switch s := strings.ToUpper(status); {
	case Holds(s):
		err = tx.Raw(`UPDATE campaigns SET template_hold_from = COALESCE(template_hold_from, status),
				status = ?, status_reason = ?, updated_at = now()
			WHERE template_id IN ? AND (status IN (?, ?) OR (status = ? AND template_hold_from IS NOT NULL))
			RETURNING id`, holdPaused, reason, templateIDs, holdRunning, holdScheduled, holdPaused).Scan(&ids).Error
	case s == TplApproved:
		err = tx.Raw(`UPDATE campaigns SET status = template_hold_from, template_hold_from = NULL,
				status_reason = '', updated_at = now()
			WHERE template_id IN ? AND status = ? AND template_hold_from IS NOT NULL
			RETURNING id`, templateIDs, holdPaused).Scan(&ids).Error
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apply template %s to its campaigns: %w", status, err)
	}
	return ids, nil
}

// HoldFor is what moving a campaign to status must store instead, given
// its template's current status: a campaign cannot run on a template
// WhatsApp paused or disabled, so "running" becomes "paused" with the hold
// reason (and hold = true: template_hold_from is set). Any other move
// clears a hold: a person pausing or cancelling owns the campaign now.
func HoldFor(status string, tpl Template) (store, reason string, hold bool) {
	if (status == holdRunning || status == holdScheduled) && Holds(tpl.Status) {
		return holdPaused, HoldReason(tpl.Name, tpl.Language, tpl.Status, tpl.Reason), true
	}
	if (status == holdRunning || status == holdScheduled) && Held(tpl) {
		return holdPaused, PacedReason(tpl.Name, tpl.Language), true
	}
	return status, "", false
}
