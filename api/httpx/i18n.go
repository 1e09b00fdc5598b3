package httpx

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"

	"github.com/wabascrm/scrm/models"
)

// The languages error messages are written in: English (the messages'
// own text, for API clients that ask for nothing) and Indonesian (the web
// app's default, messages_id.go).
var errorLangs = language.NewMatcher([]language.Tag{language.English, language.Indonesian})

// WantsIndonesian reports whether the request's Accept-Language prefers
// Indonesian (the web app sends its language).
func WantsIndonesian(c *gin.Context) bool { return wantsIndonesian(c.GetHeader("Accept-Language")) }

// wantsIndonesian reports whether an Accept-Language header prefers
// Indonesian over English.
func wantsIndonesian(acceptLanguage string) bool {
	if acceptLanguage == "" {
		return false
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return false
	}
	_, i, _ := errorLangs.Match(tags...)
	return i == 1
}

// localize is de's message in the language of acceptLanguage (an
// Accept-Language header). A message with no translation stays English:
// better an English sentence than none.
func localize(de *models.Error, acceptLanguage string) string {
	if !wantsIndonesian(acceptLanguage) {
		return de.Message
	}
	key := de.Format
	if key == "" {
		key = de.Message
	}
	tr, ok := messagesID[key]
	if !ok {
		return de.Message
	}
	if de.Format == "" {
		return tr
	}
	return fmt.Sprintf(tr, de.Args...)
}

// A stored message (an import row's reason) has lost its format and
// values: TextLocalizer finds the format it was made from by matching the
// English text against each catalogue format (the verbs' values captured
// as written) and fills the Indonesian format with those values.

// catalogPattern is one catalogue format as a pattern over formatted text.
type catalogPattern struct {
	lead    string // the literal text before the first verb: a cheap filter
	literal int    // how much of the format is literal text
	en      string
	re      *regexp.Regexp
	pieces  []string // the translation split at its verbs
}

var verbPattern = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// catalogPatterns compiles the catalogue once; read-only afterwards.
var catalogPatterns = sync.OnceValue(func() []catalogPattern {
	var out []catalogPattern
	for en, id := range messagesID {
		verbs := verbPattern.FindAllStringIndex(en, -1)
		if len(verbs) == 0 || strings.TrimSpace(verbPattern.ReplaceAllString(en, "")) == "" {
			continue // no verbs (matched exactly), or nothing but verbs ("%s" would match anything)
		}
		var b strings.Builder
		b.WriteString("^")
		last := 0
		for _, v := range verbs {
			b.WriteString(regexp.QuoteMeta(en[last:v[0]]))
			b.WriteString("(.+?)")
			last = v[1]
		}
		b.WriteString(regexp.QuoteMeta(en[last:]))
		b.WriteString("$")
		out = append(out, catalogPattern{lead: en[:verbs[0][0]], literal: len(verbPattern.ReplaceAllString(en, "")),
			re: regexp.MustCompile(b.String()), pieces: verbPattern.Split(id, -1), en: en})
	}
	// The most specific format first: "%s must be a positive integer"
	// before "%s must be %s", whatever order the map gave.
	slices.SortFunc(out, func(a, b catalogPattern) int { return cmp.Or(b.literal-a.literal, strings.Compare(a.en, b.en)) })
	return out
})

// TextLocalizer translates stored English messages for one request.
type TextLocalizer struct {
	id   bool
	seen map[string]string
}

// NewTextLocalizer localizes into the request's Accept-Language.
func NewTextLocalizer(c *gin.Context) *TextLocalizer {
	return &TextLocalizer{id: wantsIndonesian(c.GetHeader("Accept-Language")), seen: map[string]string{}}
}

// Text is msg in the request's language; msg itself when English was
// asked for or no catalogue format matches. A "case: " style prefix (the
// part of a row it is about) is kept and the rest translated.
func (l *TextLocalizer) Text(msg string) string {
	if !l.id || msg == "" {
		return msg
	}
	if t, ok := l.seen[msg]; ok {
		return t
	}
	t, ok := translateText(msg)
	if !ok {
		if head, rest, cut := strings.Cut(msg, ": "); cut && !strings.Contains(head, " ") {
			if r, ok := translateText(rest); ok {
				t = head + ": " + r
			}
		}
	}
	l.seen[msg] = t
	return t
}

func translateText(msg string) (string, bool) {
	if t, ok := messagesID[msg]; ok {
		return t, true
	}
	for _, p := range catalogPatterns() {
		if !strings.HasPrefix(msg, p.lead) {
			continue
		}
		m := p.re.FindStringSubmatch(msg)
		if m == nil || len(m)-1 != len(p.pieces)-1 {
			continue
		}
		var b strings.Builder
		for i, piece := range p.pieces {
			b.WriteString(piece)
			if i+1 < len(m) {
				b.WriteString(m[i+1])
			}
		}
		return b.String(), true
	}
	return msg, false
}
