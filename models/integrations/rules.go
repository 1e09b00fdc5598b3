package integrations

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
)

// Webhook event types a subscription can ask for.
const (
	HookMessageReceived      = "message.received"
	HookMessageStatus        = "message.status"
	HookConversationAssigned = "conversation.assigned"
	HookConversationResolved = "conversation.resolved"
	HookCaseAssigned         = "case.assigned"
	HookCaseOutcome          = "case.outcome"
	HookCasePromiseToPay     = "case.promise_to_pay"
	HookCaseClosed           = "case.closed"
	HookCampaignFinished     = "campaign.finished"
	HookIntakeFinished       = "intake.finished"
	HookContactOptOut        = "contact.opt_out"
)

// HookTypes lists every webhook event type.
func HookTypes() []string {
	return []string{HookMessageReceived, HookMessageStatus, HookConversationAssigned, HookConversationResolved,
		HookCaseAssigned, HookCaseOutcome, HookCasePromiseToPay, HookCaseClosed, HookCampaignFinished,
		HookIntakeFinished, HookContactOptOut}
}

// HookEvent is one webhook event derived from a product event: its type,
// the object it is about (deliveries of one object keep their order) and
// the data sent.
type HookEvent struct {
	Type       string
	ObjectType string
	ObjectID   int64
	Data       map[string]any
}

// ObjectKey is "<type>:<id>", the unit of ordering.
func (h HookEvent) ObjectKey() string { return h.ObjectType + ":" + strconv.FormatInt(h.ObjectID, 10) }

// EventID is the stable id of the n-th webhook event of product event id:
// the same on every attempt and replay, so receivers dedupe on it.
func EventID(sourceID int64, n int) string { return fmt.Sprintf("evt_%d_%d", sourceID, n) }

func num(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), x > 0
	case json.Number:
		n, err := x.Int64()
		return n, err == nil && n > 0
	}
	return 0, false
}

func ids(v any) []int64 {
	arr, _ := v.([]any)
	out := make([]int64, 0, len(arr))
	for _, a := range arr {
		if n, ok := num(a); ok {
			out = append(out, n)
		}
	}
	return out
}

// Map turns one product event (the events table's row) into the webhook
// events it means; most product events mean none.
func Map(e models.Event) []HookEvent {
	var d map[string]any
	if err := json.Unmarshal(e.Data, &d); err != nil || d == nil {
		return nil
	}
	str := func(k string) string { s, _ := d[k].(string); return s }
	one := func(typ, obj string, id int64) []HookEvent {
		if id <= 0 {
			return nil
		}
		return []HookEvent{{Type: typ, ObjectType: obj, ObjectID: id, Data: d}}
	}
	switch e.Type {
	case models.EventMessageCreated:
		if str("direction") != string(models.DirIn) {
			return nil
		}
		conv, _ := num(d["conversationId"])
		return one(HookMessageReceived, "conversation", conv)
	case models.EventMessageStatus:
		conv, _ := num(d["conversationId"])
		return one(HookMessageStatus, "conversation", conv)
	case models.EventConversationUpdated:
		id, _ := num(d["id"])
		switch {
		case str("change") == "assign":
			return one(HookConversationAssigned, "conversation", id)
		case str("status") == "resolved" && (str("change") == "resolve" || str("change") == "status"):
			return one(HookConversationResolved, "conversation", id)
		}
	case models.EventCaseUpdated:
		return mapCase(d)
	case models.EventCampaignProgress:
		id, _ := num(d["campaignId"])
		if s := str("status"); s == "completed" || s == "cancelled" || s == "failed" {
			return one(HookCampaignFinished, "campaign", id)
		}
	case models.EventIntakeProgress:
		id, _ := num(d["jobId"])
		if s := str("status"); s == "completed" || s == "cancelled" || s == "failed" {
			return one(HookIntakeFinished, "intake_job", id)
		}
	case models.EventContactOptOut:
		id, _ := num(d["contactId"])
		return one(HookContactOptOut, "contact", id)
	}
	return nil
}

func mapCase(d map[string]any) []HookEvent {
	change, _ := d["change"].(string)
	status, _ := d["status"].(string)
	var typ string
	switch {
	case status == "exited":
		typ = HookCaseClosed
	case change == "outcome" || strings.HasPrefix(change, "outcome:"):
		typ = HookCaseOutcome
		if o, _ := d["outcome"].(string); o == "promise_to_pay" {
			typ = HookCasePromiseToPay
		}
	case status == "assigned" && change != "overdue":
		typ = HookCaseAssigned
	default:
		return nil
	}
	caseIDs := ids(d["ids"])
	if id, ok := num(d["id"]); ok {
		caseIDs = append(caseIDs, id)
	}
	out := make([]HookEvent, 0, len(caseIDs))
	for _, id := range caseIDs {
		data := map[string]any{}
		for k, v := range d {
			if k != "ids" {
				data[k] = v
			}
		}
		data["id"] = id
		out = append(out, HookEvent{Type: typ, ObjectType: "case", ObjectID: id, Data: data})
	}
	return out
}

// Payload is the JSON body of a webhook call.
type Payload struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	CreatedAt time.Time      `json:"createdAt"`
	Object    PayloadObject  `json:"object"`
	Data      map[string]any `json:"data"`
}

// PayloadObject names what the event is about.
type PayloadObject struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// Sign returns the X-SCRM-Signature header value for body at unix time t:
// "t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
func Sign(secret string, t int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	ts := strconv.FormatInt(t, 10)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body and the secret, refusing
// timestamps further than tolerance from now (replayed old calls).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts int64
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == 0 || len(sigs) == 0 {
		return fmt.Errorf("malformed signature header")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp outside tolerance")
	}
	want := Sign(secret, ts, body)
	_, wantSig, _ := strings.Cut(want, ",v1=")
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(wantSig)) {
			return nil
		}
	}
	return fmt.Errorf("signature mismatch")
}

// Backoff is the wait before attempt n+1 after n failed attempts:
// exponential from 2 s, capped at 10 minutes.
func Backoff(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	d := 2 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// MaxAttempts: a delivery failing this often is marked failed (replayable
// from the log); ~13 hours of tries with Backoff.
const MaxAttempts = 80

// ValidateSubscription is the pure check of a subscription's URL and types.
func ValidateSubscription(rawURL string, types []string, allowHTTP bool) error {
	u, err := url.Parse(rawURL)
	loopback := u != nil && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1")
	if err != nil || u.Host == "" || (u.Scheme != "https" && !((allowHTTP || loopback) && u.Scheme == "http")) {
		return models.FieldError(models.EInvalid, "url", "url must be an absolute https URL (http only on loopback)")
	}
	if len(rawURL) > 2000 {
		return models.FieldError(models.EInvalid, "url", "url is at most 2000 characters")
	}
	if len(types) == 0 {
		return models.FieldError(models.EInvalid, "eventTypes", "give at least one event type of %v", HookTypes())
	}
	for _, t := range types {
		if !slices.Contains(HookTypes(), t) {
			return models.FieldError(models.EInvalid, "eventTypes", "unknown event type %q (one of %v)", t, HookTypes())
		}
	}
	return nil
}
