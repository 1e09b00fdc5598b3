package api

import (
	"bytes"
	"testing"
	"time"

	"github.com/wabascrm/scrm/models/ingest"
	"github.com/wabascrm/scrm/waba"
)

// FuzzWebhookParse feeds arbitrary bodies through the parser and the
// mapping to the store's batch: neither may panic, and the signature check
// must accept exactly the bytes that were signed.
func FuzzWebhookParse(f *testing.F) {
	seeds := []string{
		envelope("messages", messagesValue(testPNID, "Ni Luh Putu Wédari 🌺", "6281234567890", textMsg("wamid.F1", "6281234567890", "Halo 🙏"))),
		envelope("messages", statusValue(status("wamid.F2", "failed", 1763971201, `,"errors":[{"code":131026,"title":"x","error_data":{"details":"y"}}]`))),
		envelope("message_template_status_update", `{"event":"APPROVED","message_template_id":1,"message_template_name":"a","message_template_language":"id","reason":"NONE"}`),
		envelope("phone_number_quality_update", `{"display_phone_number":"62215","event":"FLAGGED","current_limit":"TIER_250"}`),
		envelope("message_template_quality_update", `{"new_quality_score":"RED","message_template_id":2}`),
		envelope("account_update", `{"event":"DISABLED_UPDATE"}`),
		envelope("messages", `{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"1","title":"Ya"}}}]}`),
		`{"entry":[{"changes":[{"field":"messages","value":null}]}]}`,
		`{}`, `[]`, `null`, `{"entry":"x"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	secret := []byte(testSecret)
	f.Fuzz(func(t *testing.T, body []byte) {
		sig := waba.Sign(secret, body)
		if !waba.VerifySignature(secret, body, sig) {
			t.Fatal("own signature rejected")
		}
		if len(body) > 0 {
			flipped := bytes.Clone(body)
			flipped[0] ^= 1
			if waba.VerifySignature(secret, flipped, sig) {
				t.Fatal("signature accepted a changed body")
			}
		}
		p, err := waba.ParseWebhook(body)
		if err != nil {
			return
		}
		b, _ := ingest.BatchFromWebhook(p, time.Unix(0, 0))
		for _, m := range b.Messages {
			if m.WAMID == "" || m.PhoneNumberID == "" || (m.FromWAID == "" && m.BSUID == "") {
				t.Fatalf("unattributable message passed: %+v", m)
			}
		}
	})
}
