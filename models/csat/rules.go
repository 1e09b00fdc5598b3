// Package csat is the customer-satisfaction survey sent after a
// conversation is resolved: its settings (business-wide, "enabled"
// overridable per team), the survey message (an interactive list 1-5), the
// rule of which answer counts, and queueing the survey in the resolve's own
// transaction. Ratings are counted by the reports' rollups (migration 00200,
// models/reports).
package csat

import (
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/waba"
)

// DefaultQuestion is the survey's question until an admin sets one.
const DefaultQuestion = "Bagaimana penilaian Anda atas layanan kami?"

// Limits of the settings. The question is the list's body (Meta: at most
// 1024 characters); an answer counts for at most 24 h after the survey,
// the length of the window it was sent in.
const (
	MaxQuestion    = 1024
	MinTimeoutMins = 5
	MaxTimeoutMins = 24 * 60
)

// rowPrefix starts the row ids of a survey: "csat:<survey id>:<rating>".
// The id names the survey, so an answer to an old survey is told from one
// to the current survey without trusting the context wamid alone.
const rowPrefix = "csat:"

// ratingTitles are the rows' titles (Meta: a row title is at most 24
// characters, a list has at most 10 rows; reply buttons stop at 3, so they
// cannot carry 1-5).
var ratingTitles = [5]string{"1 - Sangat tidak puas", "2 - Tidak puas", "3 - Biasa saja", "4 - Puas", "5 - Sangat puas"}

// RatingTitle is the title of rating n's row ("" outside 1-5).
func RatingTitle(n int) string {
	if n < 1 || n > 5 {
		return ""
	}
	return ratingTitles[n-1]
}

// RowID is the list row id of rating n of survey id.
func RowID(surveyID int64, n int) string {
	return rowPrefix + strconv.FormatInt(surveyID, 10) + ":" + strconv.Itoa(n)
}

// ParseRowID reads a list_reply id written by RowID: ok is false for any
// other id (another list of the business) or a rating outside 1-5.
func ParseRowID(id string) (surveyID int64, rating int, ok bool) {
	rest, found := strings.CutPrefix(id, rowPrefix)
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, ":")
	if !found {
		return 0, 0, false
	}
	sid, err := strconv.ParseInt(a, 10, 64)
	if err != nil || sid <= 0 {
		return 0, 0, false
	}
	n, err := strconv.Atoi(b)
	if err != nil || n < 1 || n > 5 {
		return 0, 0, false
	}
	return sid, n, true
}

// SurveyMessage is the interactive list of survey id asking question.
func SurveyMessage(surveyID int64, question string) waba.OutboundMessage {
	rows := make([]waba.ListRow, 5)
	for i := range rows {
		rows[i] = waba.ListRow{ID: RowID(surveyID, i+1), Title: ratingTitles[i]}
	}
	return waba.OutboundMessage{Type: "interactive", Interactive: &waba.Interactive{
		Type:   "list",
		Body:   &waba.InteractiveText{Text: question},
		Footer: &waba.InteractiveText{Text: "1 = sangat tidak puas, 5 = sangat puas"},
		Action: waba.InteractiveAction{Button: "Beri nilai", Sections: []waba.ListSection{{Title: "Nilai", Rows: rows}}},
	}}
}

// Survey is what the answer rule needs of a survey row.
type Survey struct {
	ID        int64
	ExpiresAt time.Time
	Rating    *int
	// LatestID is the conversation's newest survey: an answer to an older
	// one is about an episode already rated or left unrated.
	LatestID int64
}

// Verdict is what an answer does.
type Verdict int

const (
	// Ignore: an answer to an old or expired survey; stored as an ordinary
	// customer message (it reopens a resolved conversation, like any other).
	Ignore Verdict = iota
	// Record: the first answer in time to the current survey: the rating.
	Record
	// Repeat: a second tap on the current survey in time: the first rating
	// stays, and the tap is no new request for an agent either.
	Repeat
)

// Judge decides what an answer at at does to survey s.
func Judge(s Survey, at time.Time) Verdict {
	switch {
	case s.ID != s.LatestID, at.After(s.ExpiresAt):
		return Ignore
	case s.Rating != nil:
		return Repeat
	}
	return Record
}

// Stats are the CSAT numbers of a distribution of ratings (Dist[i] is the
// count of rating i+1): responses, the mean, and the share of satisfied
// customers (ratings 4 and 5), nil when there is no response.
type Stats struct {
	Responses    int64    `json:"responses"`
	Average      *float64 `json:"average"`
	Distribution [5]int64 `json:"distribution"`
	SatisfiedPct *float64 `json:"satisfiedPct"`
}

// StatsOf computes Stats from a distribution.
func StatsOf(dist [5]int64) Stats {
	s := Stats{Distribution: dist}
	var sum int64
	for i, n := range dist {
		s.Responses += n
		sum += int64(i+1) * n
	}
	if s.Responses == 0 {
		return s
	}
	avg := float64(sum) / float64(s.Responses)
	pct := 100 * float64(dist[3]+dist[4]) / float64(s.Responses)
	s.Average, s.SatisfiedPct = &avg, &pct
	return s
}
