package httpx

import (
	"fmt"

	"golang.org/x/text/language"

	"github.com/wabascrm/scrm/models"
)

// The languages error messages are written in: English (the messages'
// own text, for API clients that ask for nothing) and Indonesian (the web
// app's default, messages_id.go).
var errorLangs = language.NewMatcher([]language.Tag{language.English, language.Indonesian})

// localize is de's message in the language of acceptLanguage (an
// Accept-Language header). A message with no translation stays English:
// better an English sentence than none.
func localize(de *models.Error, acceptLanguage string) string {
	if acceptLanguage == "" {
		return de.Message
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return de.Message
	}
	if _, i, _ := errorLangs.Match(tags...); i != 1 {
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
