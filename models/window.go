package models

import "time"

// ServiceWindow is Meta's customer-service window: a message from the
// customer opens it for 24 hours, each later customer message restarts it,
// and the business's own messages do not extend it. Inside it any message
// type may be sent and templates use none of the messaging limit; outside it
// only an approved template may be sent (Meta answers 131047).
const ServiceWindow = 24 * time.Hour

// This file is THE window rule: every caller (inbox sends, the inbox list,
// webhook ingest, the ConversationWorkflow, dispatch budgets, the outbox
// accounting) asks these functions instead of adding 24h itself, so a
// shortened demo window (SCRM_WINDOW_LENGTH) and the rule can never drift
// apart between callers.

// WindowLength is the window length in force: length when positive (tests
// and demos shorten it), else Meta's 24 hours.
func WindowLength(length time.Duration) time.Duration {
	if length > 0 {
		return length
	}
	return ServiceWindow
}

// WindowEnd is when the window opened by the customer's last message closes;
// zero when the customer never wrote (nil or zero lastInbound).
func WindowEnd(lastInbound *time.Time, length time.Duration) time.Time {
	if lastInbound == nil || lastInbound.IsZero() {
		return time.Time{}
	}
	return lastInbound.Add(WindowLength(length))
}

// WindowOpen reports whether the window is open at now: the customer wrote
// and now is before lastInbound + length (the end itself is closed).
func WindowOpen(lastInbound *time.Time, now time.Time, length time.Duration) bool {
	end := WindowEnd(lastInbound, length)
	return !end.IsZero() && now.Before(end)
}

// Free entry point: a customer who writes from a click-to-WhatsApp ad (or a
// Facebook/Instagram page's message button) and gets the business's reply
// within 24 hours of that message has 72 hours, counted from the reply, in
// which every message to them is free, templates included. It does not
// widen the customer-service window: free-form sends still need the 24h
// window (WindowOpen); the entry point only changes what a send costs.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing (free entry point)
const (
	EntryPointReplyWithin = 24 * time.Hour
	EntryPointLength      = 72 * time.Hour
)

// EntryPointFrom is when the free entry point that a reply sent at sentAt
// opens ends: zero when the customer came from no ad (referralAt nil) or the
// reply came too late (24 hours or more after the referral message).
func EntryPointFrom(referralAt *time.Time, sentAt time.Time) time.Time {
	if referralAt == nil || referralAt.IsZero() || sentAt.Before(*referralAt) || !sentAt.Before(referralAt.Add(EntryPointReplyWithin)) {
		return time.Time{}
	}
	return sentAt.Add(EntryPointLength)
}

// EntryPointOpen reports whether messages sent at now are free under the
// entry point ending at until.
func EntryPointOpen(until *time.Time, now time.Time) bool {
	return until != nil && now.Before(*until)
}
