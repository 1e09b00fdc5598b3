package models

import "testing"

func TestRequestFingerprint(t *testing.T) {
	a, err := RequestFingerprint(map[string]any{"b": 1, "a": []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RequestFingerprint(map[string]any{"a": []string{"x"}, "b": 1})
	c, _ := RequestFingerprint(map[string]any{"a": []string{"y"}, "b": 1})
	if a != b || a == c || len(a) != 64 {
		t.Fatalf("fingerprints %s %s %s", a, b, c)
	}
	if !SameRequest(nil, a) || !SameRequest(&a, a) || SameRequest(&c, a) {
		t.Fatal("SameRequest")
	}
	empty := ""
	if !SameRequest(&empty, a) {
		t.Fatal("a row without a fingerprint is taken as the same request")
	}
	if CodeOf(ErrIdempotencyMismatch()) != EUnprocessable {
		t.Fatal("mismatch is 422")
	}
}
