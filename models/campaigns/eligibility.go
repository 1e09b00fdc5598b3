package campaigns

import "github.com/wabascrm/scrm/models"

// Eligibility is what a claim knows of one audience contact before it
// renders the template: the facts that decide whether the contact is sent
// at all. Claim gathers them in set-based SQL; the rule itself is here, pure.
type Eligibility struct {
	OptedOut  bool // the contact opted out of business messages
	Reachable bool // a valid E.164 phone or a WhatsApp id to send to
	Capped    bool // the campaign's frequency cap is reached for the contact
	Busy      bool // SkipAssigned and an agent owns an open conversation with them
}

// SkipReason is why the contact is not sent ("" when it may be). The order
// is the order of precedence a campaign manager reads in the export: an
// opted-out contact is reported as opted out even when also unreachable.
func (e Eligibility) SkipReason() string {
	switch {
	case e.OptedOut:
		return SkipOptedOut
	case !e.Reachable:
		return SkipInvalidNumber
	case e.Capped:
		return SkipFrequencyCap
	case e.Busy:
		return SkipAssignedConversation
	}
	return ""
}

// reachable: the contact has a phone that normalises, or a wa_id.
func reachable(c models.Contact) bool {
	if c.WAID != "" {
		return true
	}
	if c.PhoneE164 == nil {
		return false
	}
	_, err := models.NormalizePhone(*c.PhoneE164)
	return err == nil
}
