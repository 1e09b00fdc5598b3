package models

// Agent account statuses and presences.
const (
	AgentActive   = "active"
	AgentDisabled = "disabled"

	PresenceOnline  = "online"
	PresenceAway    = "away"
	PresenceOffline = "offline"
)
