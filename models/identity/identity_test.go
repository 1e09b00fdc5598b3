package identity_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/identity"
	"github.com/wabascrm/scrm/worker/testenv"
)

// The migration seeds the system roles; they must equal models.SystemRoles.
func TestSeededSystemRolesMatchCode(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	roles, err := identity.RoleStore{DB: db}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range models.SystemRoles() {
		i := slices.IndexFunc(roles, func(r identity.Role) bool { return r.SystemKey != nil && *r.SystemKey == want.Key })
		if i < 0 {
			t.Fatalf("system role %s not seeded", want.Key)
		}
		got := roles[i]
		a, b := slices.Clone(got.Permissions), slices.Clone(want.Permissions)
		slices.Sort(a)
		slices.Sort(b)
		if got.Name != want.Name || got.DataScope != want.DataScope || !slices.Equal(a, b) {
			t.Errorf("role %s: seeded %s/%s %v, code says %s/%s %v", want.Key, got.Name, got.DataScope, a, want.Name, want.DataScope, b)
		}
		for _, p := range got.Permissions {
			if !models.IsPermission(p) {
				t.Errorf("role %s holds %q, not in the catalog", want.Key, p)
			}
		}
	}
}

func TestCatalogIsWellFormed(t *testing.T) {
	t.Parallel()
	seen := map[models.Permission]bool{}
	for _, p := range models.PermissionCatalog() {
		if seen[p.Name] {
			t.Errorf("duplicate %s", p.Name)
		}
		seen[p.Name] = true
		if p.Resource == "" || p.Action == "" || string(p.Name) != p.Resource+":"+p.Action || p.Description == "" {
			t.Errorf("malformed %+v", p)
		}
	}
}

func TestScopeFilterRows(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	if err := db.Exec(`CREATE TABLE scoped (id BIGSERIAL PRIMARY KEY, assignee_id BIGINT, team_id BIGINT)`).Error; err != nil {
		t.Fatal(err)
	}
	// rows: 1 (agent 1, team 10), 2 (agent 2, team 10), 3 (agent 3, team 20), 4 (unassigned, team 20), 5 (agent 1, no team)
	if err := db.Exec(`INSERT INTO scoped (assignee_id, team_id) VALUES (1,10),(2,10),(3,20),(NULL,20),(1,NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	visible := func(p models.Principal, teamCol string) []int64 {
		var out []int64
		if err := db.WithContext(ctx).Table("scoped").Scopes(models.ScopeFilter(p, "scoped.assignee_id", teamCol)).Order("id").Pluck("id", &out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}
	cases := []struct {
		name    string
		p       models.Principal
		teamCol string
		want    []int64
	}{
		{"admin", models.Principal{AgentID: 9, AllScope: true}, "scoped.team_id", []int64{1, 2, 3, 4, 5}},
		{"agent", models.Principal{AgentID: 1, TeamIDs: []int64{10}}, "scoped.team_id", []int64{1, 5}},
		{"supervisor of 20", models.Principal{AgentID: 2, SupervisedTeamIDs: []int64{20}}, "scoped.team_id", []int64{2, 3, 4}},
		{"no team column", models.Principal{AgentID: 2, SupervisedTeamIDs: []int64{20}}, "", []int64{2}},
		{"nobody", models.Principal{AgentID: 77}, "scoped.team_id", nil},
	}
	for _, c := range cases {
		if got := visible(c.p, c.teamCol); !slices.Equal(got, c.want) {
			t.Errorf("%s: sees %v, want %v", c.name, got, c.want)
		}
	}
}

// Issue #17 finding 14: new passwords meet a minimum strength, judged
// against the account's own words, and the common list shipped in the
// binary; every caller (create, reset, change) goes through Hasher.Hash.
func TestPasswordStrength(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{
		"correct-horse-battery":  true,
		"Kopi susu di Menteng 7": true,
		"short":                  false, // length
		"P@ssw0rd2024":           false, // leaked-password dictionary
		"Bismillah123":           false, // the shipped Indonesian list
		"qwertyuiop":             false,
		"budi.santoso2024":       false, // the account's own e-mail
		"aaaaaaaaaaaaaaaa":       false,
	} {
		err := identity.CheckPasswordStrength("password", pw, "budi.santoso@example.com", "Budi Santoso")
		if (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", pw, err, ok)
		}
		if err != nil && (models.CodeOf(err) != models.EUnprocessable) {
			t.Errorf("%q: code %s", pw, models.CodeOf(err))
		}
		if _, herr := testenv.Hasher().Hash("password", pw, "budi.santoso@example.com"); (herr == nil) != ok {
			t.Errorf("Hash(%q): %v", pw, herr)
		}
	}
}

func TestEnsureAdminIsIdempotent(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	in := identity.AdminInput{Name: "Root", Email: "Root@Example.com", Password: "a-long-admin-password", Hasher: testenv.Hasher()}
	created, err := identity.EnsureAdmin(ctx, db, in)
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	in.Password = "another-password-entirely"
	created, err = identity.EnsureAdmin(ctx, db, in)
	if err != nil || created {
		t.Fatalf("second: %v %v", created, err)
	}
	tokens, err := identity.NewTokens(db, strings.Repeat("s", 32), testenv.Hasher())
	if err != nil {
		t.Fatal(err)
	}
	// The first password still works: EnsureAdmin never rewrites an account.
	s, err := tokens.Login(ctx, "root@example.com", "a-long-admin-password", identity.ClientMeta{IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tokens.Authenticate(ctx, s.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if !p.AllScope || p.RoleName != "Admin" || len(p.Permissions) != len(models.AllPermissions()) || p.SessionID == 0 {
		t.Fatalf("admin principal: %+v", p)
	}
	if _, err := identity.CreateAdmin(ctx, db, in); models.CodeOf(err) != models.EConflict {
		t.Fatalf("duplicate CreateAdmin: %v", err)
	}
	if _, err := identity.CreateAdmin(ctx, db, identity.AdminInput{Email: "x@example.com", Password: "short", Hasher: testenv.Hasher()}); models.CodeOf(err) != models.EUnprocessable {
		t.Fatalf("weak CreateAdmin: %v", err)
	}
}

// BenchmarkAuthenticate measures the per-request cost of token verification
// (JWT check plus the one indexed query).
func BenchmarkAuthenticate(b *testing.B) {
	db := testenv.NewDB(b).Gorm
	ctx := context.Background()
	if _, err := identity.CreateAdmin(ctx, db, identity.AdminInput{Email: "bench@example.com", Password: "bench-password-1", Hasher: testenv.Hasher()}); err != nil {
		b.Fatal(err)
	}
	tokens, err := identity.NewTokens(db, strings.Repeat("s", 32), testenv.Hasher())
	if err != nil {
		b.Fatal(err)
	}
	s, err := tokens.Login(ctx, "bench@example.com", "bench-password-1", identity.ClientMeta{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := tokens.Authenticate(ctx, s.AccessToken); err != nil {
			b.Fatal(err)
		}
	}
}
