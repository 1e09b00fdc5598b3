package ingest

import (
	"encoding/json"
	"testing"
)

func TestCleanTextAndJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"halo", "halo"},
		{"ha\x00lo", "halo"},
		{"caf\xe9", "caf\uFFFD"},
		{"", ""},
	} {
		if got, _ := CleanText(c.in); got != c.want {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		in, want string
		changed  bool
	}{
		{`{"a":"b"}`, `{"a":"b"}`, false},
		{`{"a":"\u00e9 \ud83d\ude00"}`, `{"a":"é 😀"}`, true}, // a valid pair re-encoded, not broken
		{`{"a":"x\u0000y"}`, `{"a":"xy"}`, true},
		{`{"a":"\ud83d"}`, `{"a":"` + "\uFFFD" + `"}`, true},
		{"{\"a\":\"\xff\"}", `{"a":"` + "\uFFFD" + `"}`, true},
		{`{"n":12345678901234567890}`, `{"n":12345678901234567890}`, false},
	} {
		raw := json.RawMessage(c.in)
		changed := cleanJSON(&raw)
		if changed != c.changed || string(raw) != c.want {
			t.Errorf("cleanJSON(%s) = %s, %v; want %s, %v", c.in, raw, changed, c.want, c.changed)
		}
	}
	raw := json.RawMessage("{\"a\":\"\xff\", \"n\": 12345678901234567890}")
	cleanJSON(&raw)
	if string(raw) != `{"a":"`+"\uFFFD"+`","n":12345678901234567890}` {
		t.Errorf("re-encoding lost number precision: %s", raw)
	}
}
