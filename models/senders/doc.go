// Package senders holds the business phone numbers (senders) and their
// allocation to agents and teams as primary or secondary.
package senders
