package senders

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// AccountChange is an account_update: Meta restricted, banned, warned or
// reinstated the business account (or one of its numbers).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update
type AccountChange struct {
	WABAID      string // the webhook entry's id
	PhoneDigits string // account_update.phone_number, when the event names one number
	Event       string // ACCOUNT_RESTRICTION, DISABLED_UPDATE, ACCOUNT_VIOLATION, REINSTATED, ...
	Restriction string // restriction_info[].restriction_type, joined
	Until       *time.Time
	BanState    string // ban_info.waba_ban_state, joined
	Violation   string
}

// PauseStatus is what the change does to the numbers it names: restricted
// or disabled (paused: dispatch sends nothing from them, campaign
// recipients wait or move per SCRM_SENDER_ON_PAUSE) with the reason shown
// on the number, active again on reinstatement, or nothing ("").
func (a AccountChange) PauseStatus() (status, reason string) {
	switch strings.ToUpper(a.Event) {
	case "ACCOUNT_RESTRICTION":
		reason = "WhatsApp restricted the account: " + a.Restriction
		if a.Until != nil {
			reason += " until " + a.Until.UTC().Format(time.RFC3339)
		}
		return models.SenderRestricted, reason
	case "DISABLED_UPDATE":
		if strings.Contains(a.BanState, "REINSTATE") {
			return models.SenderActive, ""
		}
		return models.SenderDisabled, "WhatsApp disabled the account (" + a.BanState + ")"
	case "REINSTATED":
		return models.SenderActive, ""
	}
	return "", ""
}

// ApplyAccountChange pauses (or reinstates) the numbers a change names: the
// one number when it gives phone_number, else every number of the WABA.
// Reinstatement only lifts what an account update set (a number an admin
// disabled stays disabled). It returns the ids of the changed senders.
func ApplyAccountChange(tx *gorm.DB, a AccountChange) ([]int64, string, string, error) {
	status, reason := a.PauseStatus()
	if status == "" {
		return nil, "", "", nil
	}
	q := `UPDATE senders SET status = ?, status_reason = ?, updated_at = now() WHERE `
	args := []any{status, reason}
	if a.PhoneDigits != "" {
		q += `regexp_replace(display_number, '\D', '', 'g') = ?`
		args = append(args, a.PhoneDigits)
	} else {
		q += `waba_id = ?`
		args = append(args, a.WABAID)
	}
	if status == models.SenderActive {
		q += ` AND status IN ('restricted','disabled') AND status_reason LIKE 'WhatsApp %'`
	} else {
		q += ` AND status <> 'unverified'`
	}
	var ids []int64
	if err := tx.Raw(q+` RETURNING id`, args...).Scan(&ids).Error; err != nil {
		return nil, "", "", fmt.Errorf("apply account update %s: %w", a.Event, err)
	}
	return ids, status, reason, nil
}

// PauseForRefusal pauses a number WhatsApp refused with an account-level
// error (restricted, with the reason). Like an account_update, it pauses
// only an active or flagged number (a disabled or unverified one keeps its
// state and reason) and is lifted by reinstatement, since the reason starts
// with "WhatsApp ". It returns the ids changed (none when already paused).
func PauseForRefusal(tx *gorm.DB, senderID int64, reason string) ([]int64, error) {
	var ids []int64
	if err := tx.Raw(`UPDATE senders SET status = ?, status_reason = ?, updated_at = now()
		WHERE id = ? AND status IN (?, ?) RETURNING id`,
		models.SenderRestricted, reason, senderID, models.SenderActive, models.SenderFlagged).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("pause sender %d after refusal: %w", senderID, err)
	}
	return ids, nil
}
