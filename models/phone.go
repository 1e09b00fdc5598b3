package models

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultPhoneRegion is where numbers without a country code are dialled from.
const DefaultPhoneRegion = "ID"

// NormalizePhone returns raw in E.164 (+62812...). "0812-3456-789",
// "62812..." and "+62 812..." are the same Indonesian number. A bare number
// starting with the country code but without "+" is common in WhatsApp ids,
// so digits starting with 62 are read as international.
func NormalizePhone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", FieldError(EInvalid, "phone", "phone number is empty")
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	} else if !strings.HasPrefix(s, "+") && strings.HasPrefix(DigitsOnly(s), "62") {
		s = "+" + s
	}
	num, err := phonenumbers.Parse(s, DefaultPhoneRegion)
	if err != nil {
		return "", FieldError(EInvalid, "phone", "%q is not a phone number: %v", raw, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", FieldError(EInvalid, "phone", "%q is not a valid phone number", raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// WAIDFromE164 is the WhatsApp id form of an E.164 number (digits only).
func WAIDFromE164(e164 string) string { return strings.TrimPrefix(e164, "+") }

func DigitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
