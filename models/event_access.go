package models

import "slices"

// EventAgentDisabled and EventAgentRevalidate are gateway controls: the
// realtime tier re-checks the named agents' sockets at once (closing those of
// a disabled agent or an ended session, narrowing those whose role or teams
// changed) instead of waiting for its periodic re-check. They are never
// pushed to a client.
const (
	EventAgentDisabled   = "agent.disabled"
	EventAgentRevalidate = "agent.revalidate"
)

// EventRule says who may receive one event type over the realtime tier:
// holders of Perm whose data scope covers the event's audience. A Control
// event is acted on by the gateway and delivered to nobody.
type EventRule struct {
	Perm    Permission
	Control bool
}

// eventRules is THE event -> permission map: the gateway uses it for live
// pushes and for resync, so a socket never carries what the same principal's
// REST calls refuse (a Campaign Manager, who lacks inbox:read, gets no
// message text, names or notes). Every event type the product publishes has
// an entry: NewEvent refuses an unknown type, and the gateway drops one.
func eventRules() map[string]EventRule {
	return map[string]EventRule{
		EventMessageCreated:      {Perm: PermInboxRead},
		EventMessageStatus:       {Perm: PermInboxRead},
		EventMessageMedia:        {Perm: PermInboxRead},
		EventConversationUpdated: {Perm: PermInboxRead},
		EventCaseUpdated:         {Perm: PermCasesRead},
		EventCampaignProgress:    {Perm: PermCampaignsRead},
		EventAgentPresence:       {Perm: PermAgentsRead},
		EventIntakeProgress:      {Perm: PermContactsImp},
		EventContactOptOut:       {Perm: PermContactsRead},
		EventSLAAlert:            {Perm: PermInboxRead},
		EventSenderUnverified:    {Perm: PermSendersRead},
		EventSenderUpdated:       {Perm: PermSendersRead},
		EventTemplateUpdated:     {Perm: PermTemplatesRead},
		EventAgentDisabled:       {Control: true},
		EventAgentRevalidate:     {Control: true},
	}
}

// EventRuleOf returns the rule of an event type; ok is false for a type
// that is not in the map (such an event reaches nobody).
func EventRuleOf(typ string) (EventRule, bool) {
	r, ok := eventRules()[typ]
	return r, ok
}

// EventTypes lists every event type in the map, sorted.
func EventTypes() []string {
	m := eventRules()
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// MayReceive is the realtime delivery rule: the event type's permission AND
// the data scope of its audience. Unknown and control types reach nobody.
func (p Principal) MayReceive(e Event) bool {
	r, ok := EventRuleOf(e.Type)
	if !ok || r.Control {
		return false
	}
	return p.Can(r.Perm) && p.CanSee(e.Audience)
}
