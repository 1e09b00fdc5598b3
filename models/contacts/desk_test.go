package contacts

import (
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestBatchRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want models.ErrorCode // "" when accepted
	}{
		{"key", CheckBatchKey("crm-2026-01-31"), ""},
		{"no key", CheckBatchKey(""), models.EInvalid},
		{"key 200", CheckBatchKey(strings.Repeat("k", 200)), ""},
		{"key 201", CheckBatchKey(strings.Repeat("k", 201)), models.EInvalid},
		{"no rows", CheckBatchRows(0), models.EInvalid},
		{"one row", CheckBatchRows(1), ""},
		{"max rows", CheckBatchRows(MaxIntakeAPIRows), ""},
		{"too many rows", CheckBatchRows(MaxIntakeAPIRows + 1), models.ETooLarge},
	} {
		if (tc.want == "") != (tc.err == nil) || (tc.err != nil && models.CodeOf(tc.err) != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
}
