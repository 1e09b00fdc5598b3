package media

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignerLinks(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := Signer{Key: []byte("kunci-rahasia-untuk-tautan-media!"), TTL: 5 * time.Minute, Now: func() time.Time { return now }}
	path := s.Path(42, VariantThumb)
	if !strings.HasPrefix(path, "/media/42/thumb?") {
		t.Fatalf("path %s", path)
	}
	u, _ := url.Parse(path)
	exp, sig := u.Query().Get("exp"), u.Query().Get("sig")
	if err := s.Verify(42, VariantThumb, exp, sig); err != nil {
		t.Fatalf("fresh link refused: %v", err)
	}
	for name, check := range map[string]func() error{
		"other file":    func() error { return s.Verify(43, VariantThumb, exp, sig) },
		"other variant": func() error { return s.Verify(42, VariantFile, exp, sig) },
		"later expiry": func() error {
			e, _ := strconv.ParseInt(exp, 10, 64)
			return s.Verify(42, VariantThumb, strconv.FormatInt(e+3600, 10), sig)
		},
		"forged":     func() error { return s.Verify(42, VariantThumb, exp, "AAAA") },
		"other key":  func() error { return Signer{Key: []byte("lain"), Now: s.Now}.Verify(42, VariantThumb, exp, sig) },
		"no key":     func() error { return Signer{Now: s.Now}.Verify(42, VariantThumb, exp, sig) },
		"bad expiry": func() error { return s.Verify(42, VariantThumb, "soon", sig) },
	} {
		if err := check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	now = now.Add(5*time.Minute + time.Second)
	if err := s.Verify(42, VariantThumb, exp, sig); err == nil {
		t.Fatal("expired link accepted")
	}
}
