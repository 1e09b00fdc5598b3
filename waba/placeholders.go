package waba

import "regexp"

// placeholderRE matches {{1}} or {{first_name}} variables in template text.
var placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// Placeholders returns the variable names of text in order of appearance,
// each once ("1", "2" for positional templates, names for NAMED ones).
func Placeholders(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}
