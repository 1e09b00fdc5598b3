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

func TestDecideTapsAndMenus(t *testing.T) {
	team := int64(4)
	menu := &Menu{Type: MenuButtons, Choices: []Choice{
		{ID: "bill", Title: "Cek tagihan", Reply: "Tagihan ada di aplikasi."},
		{ID: "sales", Title: "Penjualan", RouteTeamID: &team},
		{ID: "human", Title: "Agen", Handover: true},
	}}
	rules := []Rule{{ID: 3, Kind: KindKeyword, Enabled: true, Keywords: []string{"menu"}, Reply: "Pilih layanan:", Menu: menu},
		{ID: 4, Kind: KindKeyword, Enabled: false, Keywords: []string{"lama"}, Reply: "x", Menu: menu},
		{ID: 5, Kind: KindWelcome, Enabled: true, Reply: "Selamat datang"}}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, models.LoadZone(models.TZWIB))
	cases := []struct {
		name  string
		s     Situation
		kind  string
		reply string
		route bool
		hand  bool
		menu  bool
		why   string
	}{
		{name: "the keyword sends its menu", s: Situation{Now: now, Text: "menu"}, kind: KindKeyword, reply: "Pilih layanan:", menu: true},
		{name: "a choice answers its FAQ", s: Situation{Now: now, Text: "Cek tagihan", Tap: TapID(3, "bill")}, kind: KindMenuChoice, reply: "Tagihan ada di aplikasi."},
		{name: "a choice routes", s: Situation{Now: now, Text: "Penjualan", Tap: TapID(3, "sales")}, kind: KindMenuChoice, route: true},
		{name: "a choice hands over with the default words", s: Situation{Now: now, Text: "Agen", Tap: TapID(3, "human")}, kind: KindMenuChoice, reply: DefaultHandoverReply, hand: true},
		{name: "a tap on a new conversation is no welcome", s: Situation{Now: now, Text: "Cek tagihan", Tap: TapID(3, "bill"), NewConversation: true}, kind: KindMenuChoice, reply: "Tagihan ada di aplikasi."},
		{name: "a CSAT answer is not ours", s: Situation{Now: now, Text: "5 - Sangat puas", Tap: "csat:9:5", NewConversation: true}, why: SkipForeignTap},
		{name: "a template quick reply is not ours", s: Situation{Now: now, Text: "menu", Tap: "Bayar sekarang"}, why: SkipForeignTap},
		{name: "a disabled rule's menu is no longer offered", s: Situation{Now: now, Tap: TapID(4, "bill")}, why: SkipForeignTap},
		{name: "an unknown choice", s: Situation{Now: now, Tap: TapID(3, "nope")}, why: SkipForeignTap},
		{name: "another number's rule id", s: Situation{Now: now, Tap: TapID(99, "bill")}, why: SkipForeignTap},
		{name: "an agent has it: the choice says nothing", s: Situation{Now: now, Tap: TapID(3, "bill"), HumanEngaged: true}, kind: KindMenuChoice, why: SkipHuman},
		{name: "stopped: taps are quiet too", s: Situation{Now: now, Tap: TapID(3, "bill"), Stopped: true}, why: SkipStopped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(rules, c.s)
			if d.Kind != c.kind || d.Reply != c.reply || (d.RouteTeamID != nil) != c.route || d.Handover != c.hand || (d.Menu != nil) != c.menu || d.Reason != c.why {
				t.Fatalf("Decide = %+v", d)
			}
		})
	}
	for _, id := range []string{"ar:3", "ar:x:bill", "ar:0:bill", "ar:3:", "csat:3:1"} {
		if _, _, ok := ParseTap(id); ok {
			t.Errorf("ParseTap(%q) ok", id)
		}
	}
}

func TestMenuValidation(t *testing.T) {
	long := "abcdefghijklmnopqrstu" // 21
	ok := Choice{ID: "a", Title: "A", Reply: "x"}
	bad := []struct {
		m     Menu
		field string
	}{
		{Menu{Type: "carousel", Choices: []Choice{ok}}, "menu.type"},
		{Menu{Type: MenuButtons}, "menu.choices"},
		{Menu{Type: MenuButtons, Choices: []Choice{ok, {ID: "b", Title: "B", Reply: "x"}, {ID: "c", Title: "C", Reply: "x"}, {ID: "d", Title: "D", Reply: "x"}}}, "menu.choices"},
		{Menu{Type: MenuButtons, Choices: []Choice{{ID: "a", Title: long, Reply: "x"}}}, "menu.choices"},
		{Menu{Type: MenuButtons, Choices: []Choice{ok, ok}}, "menu.choices"},
		{Menu{Type: MenuButtons, Choices: []Choice{{ID: "A B", Title: "A", Reply: "x"}}}, "menu.choices"},
		{Menu{Type: MenuButtons, Choices: []Choice{{ID: "a", Title: "A"}}}, "menu.choices"},
		{Menu{Type: MenuList, Button: long, Choices: []Choice{ok}}, "menu.button"},
	}
	for _, b := range bad {
		_, err := RuleInput{Kind: KindKeyword, Keywords: []string{"menu"}, Reply: "Pilih", Menu: &b.m}.Validate()
		me, isErr := err.(*models.Error)
		if !isErr || me.Field != b.field {
			t.Errorf("%+v: %v, want a field error on %s", b.m, err, b.field)
		}
	}
	if _, err := (RuleInput{Kind: KindAway, Reply: "x", Menu: &Menu{Type: MenuButtons, Choices: []Choice{ok}}}).Validate(); err == nil {
		t.Error("an away rule took a menu")
	}
	in, err := RuleInput{Kind: KindKeyword, Keywords: []string{"menu"}, Reply: "Pilih", Menu: &Menu{Type: MenuList, Choices: []Choice{{ID: "a", Title: "Dua puluh empat huruf ok", Reply: "x"}}}}.Validate()
	if err != nil || in.Menu.Button != DefaultListOpen {
		t.Fatalf("list: %+v %v", in.Menu, err)
	}
	msg := MenuMessage(7, "Pilih", *in.Menu)
	if msg.Interactive.Type != "list" || msg.Interactive.Action.Sections[0].Rows[0].ID != "ar:7:a" || msg.Interactive.Action.Button != "Pilih" {
		t.Fatalf("list message %+v", msg.Interactive)
	}
}
