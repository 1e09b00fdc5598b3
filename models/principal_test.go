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
