package models

import (
	"slices"
	"testing"
)

func TestStatusAdvances(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{MsgQueued, MsgSent, true}, {MsgSent, MsgDelivered, true}, {MsgSent, MsgRead, true},
		{MsgDelivered, MsgRead, true}, {MsgRead, MsgSent, false}, {MsgRead, MsgDelivered, false},
		{MsgDelivered, MsgSent, false}, {MsgSent, MsgSent, false}, {MsgQueued, MsgFailed, true},
		{MsgSent, MsgFailed, true}, {MsgDelivered, MsgFailed, false}, {MsgRead, MsgFailed, false},
		{MsgFailed, MsgRead, false}, {MsgReceived, MsgRead, false}, {MsgQueued, "bogus", false},
	} {
		if got := StatusAdvances(tc.from, tc.to); got != tc.want {
			t.Errorf("%s -> %s = %v", tc.from, tc.to, got)
		}
	}
	if got := StatusPredecessors(MsgRead); !slices.Equal(got, []string{MsgQueued, MsgSent, MsgDelivered}) {
		t.Errorf("predecessors of read = %v", got)
	}
}

func TestSelectSender(t *testing.T) {
	t.Parallel()
	green := Sender{ID: 1, DisplayNumber: "A", Status: SenderActive, Quality: QualityGreen}
	red := Sender{ID: 2, DisplayNumber: "B", Status: SenderActive, Quality: QualityRed}
	flagged := Sender{ID: 3, DisplayNumber: "C", Status: SenderFlagged, Quality: QualityYellow}
	second := Sender{ID: 4, DisplayNumber: "D", Status: SenderActive, Quality: QualityYellow}

	if c, _ := SelectSender(&red, &green, nil); c.Sender.ID != 2 {
		t.Errorf("conversation sender must stick, got %d", c.Sender.ID)
	}
	if c, _ := SelectSender(nil, &green, []Sender{second}); c.Sender.ID != 1 || c.Reason != "primary sender" {
		t.Errorf("primary: %+v", c)
	}
	for _, p := range []Sender{red, flagged, {ID: 5, Status: SenderDisabled}, {ID: 6, Status: SenderRestricted}} {
		c, err := SelectSender(nil, &p, []Sender{flagged, second})
		if err != nil || c.Sender.ID != 4 || c.Reason == "" {
			t.Errorf("primary %d unusable: got %+v %v", p.ID, c, err)
		}
	}
	if _, err := SelectSender(nil, &red, []Sender{flagged}); CodeOf(err) != EUnprocessable {
		t.Errorf("no usable sender: %v", err)
	}
	if _, err := SelectSender(nil, nil, nil); err == nil {
		t.Error("no primary and no secondary must fail")
	}
}
