package models

import "testing"

func TestCanSee(t *testing.T) {
	t.Parallel()
	agent := Principal{AgentID: 7, TeamIDs: []int64{1}}
	lead := Principal{AgentID: 8, TeamIDs: []int64{1}, SupervisedTeamIDs: []int64{1}}
	admin := Principal{AgentID: 9, AllScope: true}
	mine := Audience{AgentIDs: []int64{7}, TeamIDs: []int64{1}}
	other := Audience{AgentIDs: []int64{5}, TeamIDs: []int64{1}}
	otherTeam := Audience{AgentIDs: []int64{5}, TeamIDs: []int64{2}}
	cases := []struct {
		p    Principal
		a    Audience
		want bool
	}{
		{agent, mine, true}, {agent, other, false}, {lead, other, true}, {lead, otherTeam, false},
		{admin, otherTeam, true}, {agent, Audience{}, false},
	}
	for i, c := range cases {
		if got := c.p.CanSee(c.a); got != c.want {
			t.Errorf("case %d: got %v want %v", i, got, c.want)
		}
	}
}

// A queue audience (an unassigned conversation of a team) is seen by the
// team's members holding inbox:take, as their REST reads are; not by
// members without it, nor by another team's.
func TestCanSeeQueue(t *testing.T) {
	t.Parallel()
	q := Audience{TeamIDs: []int64{3}, Queue: true}
	taker := Principal{AgentID: 1, TeamIDs: []int64{3}, Permissions: []Permission{PermInboxRead, PermInboxTake}}
	if !taker.CanSee(q) || !taker.MayReceive(Event{Type: EventMessageCreated, Audience: q}) {
		t.Error("a taker of the team does not see its queue")
	}
	if taker.CanSee(Audience{TeamIDs: []int64{3}}) {
		t.Error("a taker sees a team event that is no queue event")
	}
	if (Principal{AgentID: 1, TeamIDs: []int64{3}, Permissions: []Permission{PermInboxRead}}).CanSee(q) {
		t.Error("a member without inbox:take sees the queue")
	}
	if (Principal{AgentID: 1, TeamIDs: []int64{4}, Permissions: []Permission{PermInboxRead, PermInboxTake}}).CanSee(q) {
		t.Error("another team's taker sees the queue")
	}
	merged := AudienceOf(ptr(int64(1)), ptr(int64(3))).Merge(AudienceOf(nil, ptr(int64(3))))
	if !merged.Queue || !taker.CanSee(merged) {
		t.Errorf("taken from the queue: %+v", merged)
	}
}

func ptr[T any](v T) *T { return &v }
