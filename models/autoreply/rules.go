// Package autoreply is the number's automatic answers (#19, "Auto-replies
// and self-service"): a welcome for the first message of a new
// conversation, an away message outside business hours, keyword rules that
// answer and route, and the hand-over to a human that stops automation for
// the conversation. Decide is the pure rule; the store keeps the rules and
// the auto_reply_jobs outbox (migration 00290) that the worker's relay
// drains.
package autoreply

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wabascrm/scrm/models"
)

// Rule kinds.
const (
	KindWelcome = "welcome"
	KindAway    = "away"
	KindKeyword = "keyword"
)

// DefaultAwayCooldown is the away message's cool-down when a rule sets
// none: a customer who writes ten lines at night hears it once, and again
// the next night.
const DefaultAwayCooldown = 12 * 60

// Rule is one automatic answer of a number (and optionally only of one
// team's conversations on it).
type Rule struct {
	ID       int64  `json:"id" gorm:"primaryKey"`
	SenderID int64  `json:"senderId"`
	TeamID   *int64 `json:"teamId"` // nil: every conversation of the number
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Enabled  bool   `json:"enabled"`
	// Keywords (keyword rules) match whole words, case-insensitively; a
	// keyword of several words matches them in a row.
	Keywords models.StringList `json:"keywords" gorm:"type:text[]"`
	Reply    string            `json:"reply"`
	// Hours are the business hours of an away rule, in Zone: the away
	// message answers outside them. The zero value is Monday-Saturday
	// 08:00-20:00 (models.QuietHours' defaults).
	Hours models.QuietHours `json:"hours" gorm:"serializer:json;type:jsonb"`
	Zone  string            `json:"zone"`
	// CooldownMinutes: the rule answers a conversation at most once in this
	// long (0: every time; away rules default to DefaultAwayCooldown).
	CooldownMinutes int `json:"cooldownMinutes"`
	// RouteTeamID moves the conversation to that team's queue; Handover
	// gives it to a human and stops automation for it.
	RouteTeamID *int64 `json:"routeTeamId"`
	Handover    bool   `json:"handover"`
	// Menu makes a keyword rule answer with reply buttons or a list (Reply
	// is its body); the customer's tap picks a Choice.
	Menu *Menu `json:"menu" gorm:"serializer:json;type:jsonb"`
	// Marketing rules (a promotion) never answer an opted-out contact.
	Marketing bool      `json:"marketing"`
	Priority  int       `json:"priority"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// TableName is the rules' table (migration 00290).
func (Rule) TableName() string { return "auto_reply_rules" }

// HandoverKeywords are the customer's words that ask for a human. They
// always win over every rule and stop automation for the conversation, so a
// customer can never be trapped in a bot.
var handoverKeywords = []string{"agen", "bicara dengan agen", "cs", "operator", "manusia"}

// HandoverKeywords returns the built-in hand-over words (a copy).
func HandoverKeywords() []string { return slices.Clone(handoverKeywords) }

// DefaultHandoverReply answers a hand-over when no rule says otherwise.
const DefaultHandoverReply = "Baik, percakapan Anda kami teruskan ke agen kami. Mohon tunggu sebentar."

// Menu kinds: Meta's reply buttons (at most 3) and list (at most 10 rows).
const (
	MenuButtons = "buttons"
	MenuList    = "list"
)

// Menu is a keyword rule's self-service menu.
type Menu struct {
	Type    string   `json:"type"`
	Button  string   `json:"button,omitempty"` // list: the button that opens it
	Choices []Choice `json:"choices"`
}

// Choice is one button or row of a menu: a tap answers Reply (an FAQ),
// moves the conversation to RouteTeamID, or hands it to a human.
type Choice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Reply       string `json:"reply,omitempty"`
	RouteTeamID *int64 `json:"routeTeamId,omitempty"`
	Handover    bool   `json:"handover,omitempty"`
}

// tapPrefix starts the ids of our menus' buttons and rows:
// "ar:<rule id>:<choice id>", so a tap names its rule and is told from the
// taps on other messages (a CSAT survey, a journey's template button).
const tapPrefix = "ar:"

// TapID is the button or row id of choice c of rule ruleID.
func TapID(ruleID int64, choice string) string {
	return tapPrefix + strconv.FormatInt(ruleID, 10) + ":" + choice
}

// ParseTap reads an id written by TapID.
func ParseTap(id string) (ruleID int64, choice string, ok bool) {
	rest, found := strings.CutPrefix(id, tapPrefix)
	if !found {
		return 0, "", false
	}
	a, b, found := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(a, 10, 64)
	if !found || err != nil || n <= 0 || b == "" {
		return 0, "", false
	}
	return n, b, true
}

// Situation is what Decide needs to know about one inbound message and its
// conversation; the relay reads it in the job's transaction.
type Situation struct {
	Now time.Time
	// Text is the message's text (a tapped button's or row's title too).
	Text string
	// Tap is the id of the button or list row the customer tapped ("" for
	// a typed message): our menu's choice, or another message's (ignored).
	Tap string
	// Origin is the message's origin: '' for the customer's own live
	// message; history and echoes are never answered.
	Origin string
	TeamID *int64 // the conversation's team
	// NewConversation: the first customer message of a new conversation
	// (none before, or the previous one closed a window or was resolved).
	NewConversation bool
	// HumanEngaged: an agent has taken the conversation (wrote in it within
	// the window); automation stays quiet then.
	HumanEngaged bool
	// Stopped: a hand-over stopped automation for this conversation.
	Stopped  bool
	OptedOut bool
	// LastSent is when each rule last answered this conversation.
	LastSent map[int64]time.Time
}

// Decision is what to do with one inbound message: at most one reply.
type Decision struct {
	RuleID      int64  // 0: the built-in hand-over or nothing
	Kind        string // the rule's kind, or "handover"
	Reply       string // "": send nothing
	RouteTeamID *int64
	Handover    bool   // stop automation and give the conversation to a human
	Menu        *Menu  // send Reply as the body of this menu
	Reason      string // why nothing was sent (for logs and tests)
}

// Reasons Decide answers nothing.
const (
	SkipNotCustomer = "not the customer's live message"
	SkipStopped     = "automation stopped by a hand-over"
	SkipHuman       = "an agent has the conversation"
	SkipNoRule      = "no rule applies"
	SkipForeignTap  = "a tap on another message (a survey, a template button) or on a menu no longer offered"
)

// KindMenuChoice is the Decision kind of a tapped menu choice.
const KindMenuChoice = "menu_choice"

// Decide picks the one answer to an inbound message. Order: the hand-over
// words, then keyword rules (the most specific), then the away message,
// then the welcome. A team's rule is tried before the number's own, then
// higher Priority, then the older rule.
func Decide(rules []Rule, s Situation) Decision {
	if s.Origin != "" {
		return Decision{Reason: SkipNotCustomer}
	}
	if s.Stopped {
		return Decision{Reason: SkipStopped}
	}
	cands := applicable(rules, s)
	if s.Tap != "" {
		return decideTap(cands, s)
	}
	words := Words(s.Text)
	if matchesAny(words, handoverKeywords) {
		d := Decision{Kind: "handover", Handover: true, Reply: DefaultHandoverReply}
		// A keyword rule for the same words may say it in the business's voice.
		for _, r := range cands {
			if r.Kind == KindKeyword && r.Handover && matchesAny(words, r.Keywords) {
				d.RuleID, d.Reply, d.RouteTeamID = r.ID, r.Reply, r.RouteTeamID
				break
			}
		}
		if s.HumanEngaged {
			d.Reply, d.Reason = "", SkipHuman // the agent is there already: stop, say nothing
		}
		return d
	}
	if s.HumanEngaged {
		return Decision{Reason: SkipHuman}
	}
	for _, kind := range []string{KindKeyword, KindAway, KindWelcome} {
		for _, r := range cands {
			if r.Kind != kind || !cooled(r, s) {
				continue
			}
			switch kind {
			case KindKeyword:
				if !matchesAny(words, r.Keywords) {
					continue
				}
			case KindAway:
				if InHours(s.Now, r.Zone, r.Hours) {
					continue
				}
			case KindWelcome:
				if !s.NewConversation {
					continue
				}
			}
			return Decision{RuleID: r.ID, Kind: r.Kind, Reply: r.Reply, RouteTeamID: r.RouteTeamID, Handover: r.Handover, Menu: r.Menu}
		}
	}
	return Decision{Reason: SkipNoRule}
}

// decideTap answers a tap: the choice of one of this number's live menus,
// or nothing (a tap on anything else is answered by whatever sent it).
func decideTap(cands []Rule, s Situation) Decision {
	ruleID, id, ok := ParseTap(s.Tap)
	if !ok {
		return Decision{Reason: SkipForeignTap}
	}
	for _, r := range cands {
		if r.ID != ruleID || r.Menu == nil {
			continue
		}
		for _, c := range r.Menu.Choices {
			if c.ID != id {
				continue
			}
			d := Decision{RuleID: r.ID, Kind: KindMenuChoice, Reply: c.Reply, RouteTeamID: c.RouteTeamID, Handover: c.Handover}
			if d.Handover && d.Reply == "" {
				d.Reply = DefaultHandoverReply
			}
			if s.HumanEngaged {
				d.Reply, d.RouteTeamID, d.Reason = "", nil, SkipHuman
			}
			return d
		}
	}
	return Decision{Reason: SkipForeignTap}
}

// applicable are the enabled rules for this conversation, in trying order.
func applicable(rules []Rule, s Situation) []Rule {
	var out []Rule
	for _, r := range rules {
		if !r.Enabled || (r.Marketing && s.OptedOut) {
			continue
		}
		if r.TeamID != nil && (s.TeamID == nil || *s.TeamID != *r.TeamID) {
			continue
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Rule) int {
		if (a.TeamID != nil) != (b.TeamID != nil) {
			if a.TeamID != nil {
				return -1
			}
			return 1
		}
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		return int(a.ID - b.ID)
	})
	return out
}

// Cooldown is a rule's cool-down (the kind's default when unset).
func Cooldown(r Rule) time.Duration {
	m := r.CooldownMinutes
	if m == 0 && r.Kind == KindAway {
		m = DefaultAwayCooldown
	}
	return time.Duration(m) * time.Minute
}

func cooled(r Rule, s Situation) bool {
	last, ok := s.LastSent[r.ID]
	return !ok || Cooldown(r) == 0 || !s.Now.Before(last.Add(Cooldown(r)))
}

// InHours says whether t is inside business hours h in zone (the kernel's
// quiet-hours rule: allowed instants are business hours).
func InHours(t time.Time, zone string, h models.QuietHours) bool {
	return models.NextAllowed(t, models.LoadZone(zone), h).Equal(t)
}

// Words splits text into lower-case words (letters and digits), the unit
// keywords match on.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Matches says whether keyword (one or more words) occurs in words as whole
// words in a row.
func Matches(words []string, keyword string) bool {
	kw := Words(keyword)
	if len(kw) == 0 {
		return false
	}
	for i := 0; i+len(kw) <= len(words); i++ {
		if slices.Equal(words[i:i+len(kw)], kw) {
			return true
		}
	}
	return false
}

func matchesAny(words, keywords []string) bool {
	for _, k := range keywords {
		if Matches(words, k) {
			return true
		}
	}
	return false
}
