package models

import "unicode/utf8"

// ellipsize cuts s to n runes, marking the cut.
func Ellipsize(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
