package models

import "testing"

func TestPickRoundRobinIsFair(t *testing.T) {
	t.Parallel()
	var cands []Candidate
	for i := int64(1); i <= 50; i++ {
		cands = append(cands, Candidate{AgentID: i * 3})
	}
	counts := map[int64]int{}
	var cursor int64
	for range 10_000 {
		cursor = PickRoundRobin(cands, cursor)
		counts[cursor]++
	}
	lo, hi := 1<<30, 0
	for _, n := range counts {
		lo, hi = min(lo, n), max(hi, n)
	}
	if len(counts) != 50 || hi-lo > 1 {
		t.Fatalf("unfair: %d agents, min %d max %d", len(counts), lo, hi)
	}
	if PickRoundRobin(nil, 5) != 0 {
		t.Fatal("no candidates")
	}
}

func TestPickLeastLoaded(t *testing.T) {
	t.Parallel()
	c := []Candidate{{AgentID: 4, Load: 3}, {AgentID: 2, Load: 1}, {AgentID: 9, Load: 1}}
	if got := PickLeastLoaded(c); got != 2 {
		t.Fatalf("got %d", got)
	}
	if PickLeastLoaded(nil) != 0 {
		t.Fatal("none")
	}
}
