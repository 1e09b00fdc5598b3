package models

// Candidate is an agent eligible for new work with its current load.
type Candidate struct {
	AgentID int64
	Load    int
}

// PickRoundRobin returns the first candidate after cursor (by agent id),
// wrapping around; candidates must be sorted by AgentID. 0 when none.
func PickRoundRobin(cands []Candidate, cursor int64) int64 {
	if len(cands) == 0 {
		return 0
	}
	for _, c := range cands {
		if c.AgentID > cursor {
			return c.AgentID
		}
	}
	return cands[0].AgentID
}

// PickLeastLoaded returns the candidate with the smallest load, the lowest
// agent id breaking ties. 0 when none.
func PickLeastLoaded(cands []Candidate) int64 {
	var best *Candidate
	for i := range cands {
		c := &cands[i]
		if best == nil || c.Load < best.Load || (c.Load == best.Load && c.AgentID < best.AgentID) {
			best = c
		}
	}
	if best == nil {
		return 0
	}
	return best.AgentID
}
