package api

import (
	"encoding/json"
	"testing"
)

func TestAuditName(t *testing.T) {
	for key, want := range map[string]string{
		"POST /api/v1/senders":                            "sender.create",
		"PATCH /api/v1/senders/:id":                       "sender.update",
		"DELETE /api/v1/senders/:id":                      "sender.delete",
		"DELETE /api/v1/senders/:id/allocations/:allocId": "sender.allocation_remove",
		"POST /api/v1/campaigns/:id/launch":               "campaign.launch",
		"POST /api/v1/campaigns/:id/retry-failed":         "campaign.retry_failed",
		"PUT /api/v1/conversations/:id/labels":            "conversation.labels_set",
		"POST /api/v1/canned-responses":                   "canned_response.create",
		"POST /api/v1/intake/files":                       "intake_job.files",
		"DELETE /api/v1/contacts/:id/tags/:tag":           "contact.tag_remove",
	} {
		m, p, _ := cut(key)
		e, a := auditName(m, p)
		if e+"."+a != want {
			t.Errorf("%s: %s.%s, want %s", key, e, a, want)
		}
	}
}

func cut(key string) (string, string, bool) {
	for i := range key {
		if key[i] == ' ' {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}

func TestMaskSecrets(t *testing.T) {
	var v any
	_ = json.Unmarshal([]byte(`{"name":"x","password":"hunter2","nested":{"appSecret":"s","items":[{"accessToken":"t","ok":1}]},"totpCode":"123456"}`), &v)
	out, _ := json.Marshal(maskSecrets(v))
	if string(out) != `{"name":"x","nested":{"appSecret":"***","items":[{"accessToken":"***","ok":1}]},"password":"***","totpCode":"***"}` {
		t.Fatalf("masked: %s", out)
	}
}
