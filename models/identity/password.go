package identity

import (
	_ "embed"
	"strings"

	"github.com/trustelem/zxcvbn"

	"github.com/wabascrm/scrm/models"
)

// commonPasswords is shipped in the binary: no password check calls out.
//
//go:embed common_passwords.txt
var commonPasswordsText string

// minPasswordScore is zxcvbn's "safely unguessable" (about 10^8 guesses
// and up): online guessing, throttled per account and address, cannot
// reach it. zxcvbn's frequency lists include the most common leaked
// passwords, so "P@ssw0rd2024" scores 1 and is refused.
const minPasswordScore = 3

// CheckPasswordStrength is the rule every new password meets (agent
// creation, admin reset, the agent's own change): length, not on the
// common list, and a zxcvbn score of at least minPasswordScore, judged
// against the account's own words (its e-mail, name) too.
func CheckPasswordStrength(field, password string, userInputs ...string) error {
	if len(password) < MinPasswordLen {
		return models.FieldError(models.EUnprocessable, field, "password must be at least %d characters", MinPasswordLen)
	}
	if len(password) > maxPasswordLen {
		return models.FieldError(models.EUnprocessable, field, "password must be at most %d bytes", maxPasswordLen)
	}
	if isCommonPassword(password) {
		return models.FieldError(models.EUnprocessable, field, "this password is one of the most commonly used; choose another")
	}
	var words []string
	for _, in := range userInputs {
		words = append(words, in)
		if local, _, ok := strings.Cut(in, "@"); ok {
			words = append(words, local)
		}
	}
	if r := zxcvbn.PasswordStrength(password, words); r.Score < minPasswordScore {
		return models.FieldError(models.EUnprocessable, field,
			"password is too easy to guess; use a longer phrase of unrelated words, not your name or e-mail")
	}
	return nil
}

func isCommonPassword(p string) bool {
	p = strings.ToLower(strings.TrimSpace(p))
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") && line == p {
			return true
		}
	}
	return false
}
