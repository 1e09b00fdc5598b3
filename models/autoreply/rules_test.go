package autoreply

import (
	"testing"
	"time"

	"github.com/wabascrm/scrm/models"
)

func TestWordsAndMatches(t *testing.T) {
	cases := []struct {
		text, kw string
		want     bool
	}{
		{"Berapa HARGA paketnya?", "harga", true},
		{"hargaku naik", "harga", false}, // whole words only
		{"mau bicara dengan agen dong", "bicara dengan agen", true},
		{"bicara, dengan... agen!", "bicara dengan agen", true},
		{"dengan agen bicara", "bicara dengan agen", false},
		{"AGEN", "agen", true},
		{"", "agen", false},
		{"halo", "", false},
		{"cek tagihan 2026", "2026", true},
	}
	for _, c := range cases {
		if got := Matches(Words(c.text), c.kw); got != c.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", c.text, c.kw, got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	wib := models.LoadZone(models.TZWIB)
	night := time.Date(2026, 12, 7, 21, 0, 0, 0, wib) // a Monday, 21:00 WIB
	day := time.Date(2026, 12, 7, 10, 0, 0, 0, wib)
	sunday := time.Date(2026, 12, 6, 10, 0, 0, 0, wib)
	team7, team8 := int64(7), int64(8)
	welcome := Rule{ID: 1, Kind: KindWelcome, Enabled: true, Reply: "Selamat datang"}
	away := Rule{ID: 2, Kind: KindAway, Enabled: true, Reply: "Kami tutup", Zone: models.TZWIB}
	price := Rule{ID: 3, Kind: KindKeyword, Enabled: true, Keywords: []string{"harga", "biaya"}, Reply: "Harga mulai 10rb", RouteTeamID: &team8}
	promo := Rule{ID: 4, Kind: KindKeyword, Enabled: true, Keywords: []string{"promo"}, Reply: "Promo!", Marketing: true}
	teamPrice := Rule{ID: 5, Kind: KindKeyword, Enabled: true, TeamID: &team7, Keywords: []string{"harga"}, Reply: "Harga tim 7"}
	off := Rule{ID: 6, Kind: KindKeyword, Enabled: false, Keywords: []string{"halo"}, Reply: "x"}
	voice := Rule{ID: 7, Kind: KindKeyword, Enabled: true, Keywords: []string{"agen"}, Reply: "Sebentar ya, agen kami segera membantu", Handover: true}
	hi := Rule{ID: 8, Kind: KindKeyword, Enabled: true, Keywords: []string{"halo"}, Reply: "Halo juga", Priority: 5}
	hiLow := Rule{ID: 9, Kind: KindKeyword, Enabled: true, Keywords: []string{"halo"}, Reply: "Hai"}
	customHours := Rule{ID: 10, Kind: KindAway, Enabled: true, Reply: "Libur", Zone: models.TZWIB,
		Hours: models.QuietHours{Days: []time.Weekday{time.Monday}, From: "09:00", To: "22:00"}}
	all := []Rule{welcome, away, price, promo, teamPrice, off}

	cases := []struct {
		name  string
		rules []Rule
		s     Situation
		rule  int64
		reply string
		route *int64
		hand  bool
		why   string
	}{
		{name: "welcome on a new conversation in hours", rules: all, s: Situation{Now: day, Text: "halo", NewConversation: true}, rule: 1, reply: "Selamat datang"},
		{name: "nothing for a later line in hours", rules: all, s: Situation{Now: day, Text: "halo"}, why: SkipNoRule},
		{name: "away beats welcome at 21:00 WIB", rules: all, s: Situation{Now: night, Text: "halo", NewConversation: true}, rule: 2, reply: "Kami tutup"},
		{name: "away on Sunday (default days Mon-Sat)", rules: all, s: Situation{Now: sunday, Text: "halo"}, rule: 2, reply: "Kami tutup"},
		{name: "away cooled down: a chatty customer hears it once", rules: all,
			s: Situation{Now: night.Add(30 * time.Minute), Text: "halo?", LastSent: map[int64]time.Time{2: night}}, why: SkipNoRule},
		{name: "away again after its 12 h cool-down", rules: all,
			s: Situation{Now: night.Add(13 * time.Hour).Add(11 * time.Hour), Text: "halo", LastSent: map[int64]time.Time{2: night}}, rule: 2, reply: "Kami tutup"},
		{name: "welcome after away when away cooled and new", rules: all,
			s: Situation{Now: night.Add(time.Hour), Text: "halo", NewConversation: true, LastSent: map[int64]time.Time{2: night}}, rule: 1, reply: "Selamat datang"},
		{name: "custom business hours: Monday 21:00 is open", rules: []Rule{customHours}, s: Situation{Now: night, Text: "x"}, why: SkipNoRule},
		{name: "custom business hours: Sunday is closed", rules: []Rule{customHours}, s: Situation{Now: sunday, Text: "x"}, rule: 10, reply: "Libur"},
		{name: "keyword answers and routes", rules: all, s: Situation{Now: day, Text: "Berapa HARGA-nya?"}, rule: 3, reply: "Harga mulai 10rb", route: &team8},
		{name: "keyword beats away at night", rules: all, s: Situation{Now: night, Text: "biaya admin?"}, rule: 3, reply: "Harga mulai 10rb", route: &team8},
		{name: "keyword is whole-word only", rules: all, s: Situation{Now: day, Text: "hargai saya"}, why: SkipNoRule},
		{name: "a team's rule before the number's", rules: all, s: Situation{Now: day, Text: "harga", TeamID: &team7}, rule: 5, reply: "Harga tim 7"},
		{name: "another team's rule does not apply", rules: []Rule{teamPrice}, s: Situation{Now: day, Text: "harga", TeamID: &team8}, why: SkipNoRule},
		{name: "a disabled rule does nothing", rules: all, s: Situation{Now: day, Text: "halo"}, why: SkipNoRule},
		{name: "higher priority first", rules: []Rule{hiLow, hi}, s: Situation{Now: day, Text: "halo"}, rule: 8, reply: "Halo juga"},
		{name: "marketing rule answers a subscribed contact", rules: all, s: Situation{Now: day, Text: "ada promo?"}, rule: 4, reply: "Promo!"},
		{name: "marketing rule skips an opted-out contact", rules: all, s: Situation{Now: day, Text: "ada promo?", OptedOut: true}, why: SkipNoRule},
		{name: "agen hands over with the default words", rules: all, s: Situation{Now: night, Text: "Agen!", NewConversation: true}, reply: DefaultHandoverReply, hand: true},
		{name: "bicara dengan agen beats a keyword in the same line", rules: all, s: Situation{Now: day, Text: "harga? bicara dengan agen"}, reply: DefaultHandoverReply, hand: true},
		{name: "a hand-over rule says it in the business's voice", rules: append(all, voice), s: Situation{Now: day, Text: "agen"}, rule: 7, reply: "Sebentar ya, agen kami segera membantu", hand: true},
		{name: "stopped: nothing, not even a keyword", rules: all, s: Situation{Now: day, Text: "harga", Stopped: true}, why: SkipStopped},
		{name: "stopped: agen again says nothing", rules: all, s: Situation{Now: day, Text: "agen", Stopped: true}, why: SkipStopped},
		{name: "an agent has it: no reply", rules: all, s: Situation{Now: night, Text: "harga", HumanEngaged: true}, why: SkipHuman},
		{name: "an agent has it: agen stops silently", rules: all, s: Situation{Now: day, Text: "agen", HumanEngaged: true}, hand: true, why: SkipHuman},
		{name: "history is never answered", rules: all, s: Situation{Now: night, Text: "harga", Origin: models.OriginHistory}, why: SkipNotCustomer},
		{name: "an echo is never answered", rules: all, s: Situation{Now: night, Text: "harga", Origin: models.OriginBusinessApp}, why: SkipNotCustomer},
		{name: "no rules: nothing", s: Situation{Now: night, Text: "halo", NewConversation: true}, why: SkipNoRule},
		{name: "keyword with a cool-down", rules: []Rule{{ID: 11, Kind: KindKeyword, Enabled: true, Keywords: []string{"halo"}, Reply: "Hai", CooldownMinutes: 60}},
			s: Situation{Now: day, Text: "halo", LastSent: map[int64]time.Time{11: day.Add(-10 * time.Minute)}}, why: SkipNoRule},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.rules, c.s)
			if d.RuleID != c.rule || d.Reply != c.reply || d.Handover != c.hand || d.Reason != c.why {
				t.Fatalf("Decide = %+v, want rule %d reply %q handover %v reason %q", d, c.rule, c.reply, c.hand, c.why)
			}
			if (d.RouteTeamID == nil) != (c.route == nil) || (c.route != nil && *d.RouteTeamID != *c.route) {
				t.Fatalf("route = %v, want %v", d.RouteTeamID, c.route)
			}
		})
	}
}
