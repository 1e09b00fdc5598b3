package sim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"
)

func (s *Sim) handleOutbox(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	var out []OutboxEntry
	for _, e := range s.Outbox() {
		if e.Seq > since {
			out = append(out, e)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Sim) handleCounters(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Snapshot())
}

func (s *Sim) handleReset(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.outbox = nil
	s.reads = nil
	s.resetCountersLocked()
	s.pairs = map[string]pairState{}
	s.reached = map[string]map[string]time.Time{}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Sim) handleNumbers(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	var out []Number
	for _, n := range s.numbers {
		out = append(out, *n)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].PhoneNumberID < out[j].PhoneNumberID })
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

func (s *Sim) handleAddNumber(w http.ResponseWriter, r *http.Request) {
	var n Number
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil || n.PhoneNumberID == "" {
		http.Error(w, `{"error":"phoneNumberId required"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.addNumberLocked(n)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Sim) handleNotOnWA(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.notOnWA[digits(r.PathValue("phone"))] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// handleQuality changes a number's quality, portfolio limit or throughput
// and sends phone_number_quality_update in today's shape (event plus
// max_daily_conversations_per_business; current_limit was removed 2026-02).
// https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/phone_number_quality_update
func (s *Sim) handleQuality(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Event   string `json:"event"`   // FLAGGED UNFLAGGED UPGRADE DOWNGRADE THROUGHPUT_UPGRADE ONBOARDING
		Quality string `json:"quality"` // GREEN YELLOW RED
		Tier    string `json:"tier"`
		MPS     int    `json:"throughputMps"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	n := s.numbers[r.PathValue("id")]
	if n == nil {
		s.mu.Unlock()
		http.Error(w, `{"error":"no such number"}`, http.StatusNotFound)
		return
	}
	if in.Quality != "" {
		n.Quality = in.Quality
	}
	if in.Tier != "" {
		// The limit belongs to the portfolio: every number of it moves.
		for _, o := range s.numbers {
			if o.PortfolioID == n.PortfolioID {
				o.LimitTier = in.Tier
			}
		}
	}
	if in.MPS > 0 {
		n.ThroughputMPS = in.MPS
	}
	upd := hookPhoneQuality{DisplayPhoneNumber: digits(n.Display), Event: in.Event, MaxDailyConversationsPerBusiness: n.LimitTier}
	waID := n.WABAID
	s.mu.Unlock()
	s.enqueue(0, envelope(waID, "phone_number_quality_update", upd))
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}
