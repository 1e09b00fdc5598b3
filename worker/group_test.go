package worker

import (
	"fmt"
	"testing"
)

// The relays' groups: one per key in the order keys first appear, each
// keeping its items' order (a customer's keyword before its "agen").
func TestGroupInOrder(t *testing.T) {
	type job struct{ conv, id int }
	in := []job{{7, 1}, {3, 2}, {7, 3}, {9, 4}, {3, 5}, {7, 6}}
	got := groupInOrder(in, func(j job) int { return j.conv })
	if fmt.Sprint(got) != "[[{7 1} {7 3} {7 6}] [{3 2} {3 5}] [{9 4}]]" {
		t.Fatalf("groups %v", got)
	}
	if g := groupInOrder([]job(nil), func(j job) int { return j.conv }); len(g) != 0 {
		t.Fatalf("groups of nothing %v", g)
	}
}
